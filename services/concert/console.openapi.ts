import { z } from '../../lib/openapi/zod-openapi.js';
import type { ApiOperation } from '../../lib/openapi/api-operation.js';
import { objectId } from '../../lib/openapi/common.schemas.js';

const chart = z.object({
  id: z.string(),
  title: z.string(),
  unit: z.string(),
  times: z.array(z.number().int()),
  series: z.array(z.object({ name: z.string(), values: z.array(z.number().nullable()) })),
});
const chartsResponse = z.object({ concertId: objectId, from: z.string(), to: z.string(), stepSeconds: z.number().int(), charts: z.array(chart) });

export const CONSOLE_OPERATIONS: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/v1/admin/charts',
    operationId: 'consoleCharts',
    tag: 'concerts',
    summary: "The operator console's chart data for one concert",
    description:
      'Fixed PromQL range queries against the platform Prometheus (PROMETHEUS_URL): decisions/s by result, queue depth, submit→result p95, seats left per seat type, line length, admission rate. 503 when Prometheus is not configured or not reachable.',
    access: 'admin',
    request: { query: z.object({ concertId: objectId, minutes: z.number().int().min(1).max(360).optional() }) },
    responses: {
      200: {
        description: 'One entry per chart, series aligned on `times` (Unix seconds).',
        schema: chartsResponse,
        example: { concertId: '665f1c2e8a4b5c6d7e8f9012', from: '2026-06-01T18:00:00.000Z', to: '2026-06-01T18:15:00.000Z', stepSeconds: 8, charts: [] },
      },
    },
    errors: ['validation_failed', 'unauthorized', 'token_expired', 'forbidden', 'service_unavailable'],
  },
  {
    method: 'get',
    path: '/admin',
    operationId: 'consolePage',
    tag: 'pages',
    summary: 'The operator console (HTML): live charts, controls and the audit log; an admin signs in on the page',
    access: 'anyone',
    responses: { 200: { description: 'The page.', schema: z.string(), contentType: 'text/html', example: '<!doctype html>…' } },
    errors: [],
  },
  ...(['uPlot.iife.min.js', 'uPlot.min.css'] as const).map((file): ApiOperation => ({
    method: 'get',
    path: `/admin/assets/${file}`,
    operationId: file.endsWith('.js') ? 'consoleUplotScript' : 'consoleUplotStyles',
    tag: 'pages',
    summary: `uPlot (the charting library) the console loads: ${file}`,
    access: 'anyone',
    responses: { 200: { description: 'The file.', schema: z.string(), contentType: file.endsWith('.js') ? 'text/javascript' : 'text/css', example: '…' } },
    errors: [],
  })),
];
