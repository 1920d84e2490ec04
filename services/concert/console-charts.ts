import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import { objectIdString, queryInteger } from '../../lib/validation.js';

export const chartsQuery = z
  .object({
    concertId: objectIdString,
    minutes: queryInteger(1, 360).default(15),
  })
  .strict();

/** One chart of the console: fixed PromQL, the concert's id the only thing put into it (an ObjectId, checked). */
interface ChartDef {
  id: string;
  title: string;
  unit: string;
  expr: (concert: string, window: string) => string;
  /** The legend of one series from its labels. */
  legend: (labels: Record<string, string>) => string;
}

const CHARTS: ChartDef[] = [
  {
    id: 'decisions',
    title: 'Decisions/s by result',
    unit: '/s',
    expr: (c, w) => `sum by (result, reason) (rate(bookings_decided_total{concert="${c}"}[${w}]))`,
    legend: (l) => (l.result === 'confirmed' ? 'confirmed' : `rejected: ${l.reason}`),
  },
  {
    id: 'queue',
    title: 'Bookings queue depth',
    unit: 'jobs',
    expr: () => 'max by (state) (bullmq_queue_jobs{queue="bookings",state=~"waiting|active"})',
    legend: (l) => l.state,
  },
  {
    id: 'latency',
    title: 'Submit→result p95',
    unit: 's',
    expr: (c, w) => `histogram_quantile(0.95, sum by (le) (rate(booking_decision_latency_seconds_bucket{concert="${c}"}[${w}])))`,
    legend: () => 'p95',
  },
  {
    id: 'stock',
    title: 'Seats left per seat type',
    unit: 'seats',
    expr: (c) => `min by (seat_type_name) (concert_stock_remaining{concert="${c}"})`,
    legend: (l) => l.seat_type_name,
  },
  {
    id: 'line',
    title: 'Line length and admitted',
    unit: 'fans',
    expr: (c) =>
      `label_replace(max(waiting_room_waiting{concert="${c}"}), "what", "in line", "", "") or label_replace(max(waiting_room_active{concert="${c}"}), "what", "admitted, holding a slot", "", "")`,
    legend: (l) => l.what,
  },
  {
    id: 'admission',
    title: 'Admission rate',
    unit: '/s',
    expr: (c, w) => `sum(rate(waiting_room_admitted_total{concert="${c}"}[${w}]))`,
    legend: () => 'admitted/s',
  },
];

export interface Chart {
  id: string;
  title: string;
  unit: string;
  /** Unix seconds, shared by every series of the chart (uPlot's data layout). */
  times: number[];
  series: Array<{ name: string; values: Array<number | null> }>;
}

type RangeResult = Array<{ metric: Record<string, string>; values: Array<[number, string]> }>;

/**
 * The console's charts: fixed range queries against the platform's Prometheus.
 * Prometheus down or not configured is a 503 in the error shape, never a stack trace.
 */
export function createConsoleCharts(prometheusUrl: string | undefined, fetchTimeoutMs = 5000) {
  async function range(expr: string, start: number, end: number, step: number): Promise<RangeResult> {
    if (!prometheusUrl) throw new AppError('service_unavailable', 'No Prometheus is configured (PROMETHEUS_URL): charts are not available');
    const params = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: String(step) });
    let body: { status: string; data?: { result: RangeResult }; error?: string };
    try {
      const res = await fetch(`${prometheusUrl}/api/v1/query_range?${params}`, { signal: AbortSignal.timeout(fetchTimeoutMs) });
      body = (await res.json()) as typeof body;
    } catch {
      throw new AppError('service_unavailable', 'Prometheus is not reachable: charts are not available');
    }
    if (body.status !== 'success' || !body.data) throw new AppError('service_unavailable', `Prometheus refused a chart query: ${body.error ?? 'no data'}`);
    return body.data.result;
  }

  return {
    async charts(concertId: string, minutes: number) {
      const end = Math.floor(Date.now() / 1000);
      const start = end - minutes * 60;
      // About 120 points per chart; rates over at least four steps so each point has samples.
      const step = Math.max(1, Math.round((minutes * 60) / 120));
      const window = `${Math.max(15, step * 4)}s`;
      const times: number[] = [];
      for (let t = start; t <= end; t += step) times.push(t);
      const charts: Chart[] = await Promise.all(
        CHARTS.map(async (def) => {
          const result = await range(def.expr(concertId, window), start, end, step);
          return {
            id: def.id,
            title: def.title,
            unit: def.unit,
            times,
            series: result.map((r) => {
              const byTime = new Map(r.values.map(([t, v]) => [Math.round(t), Number(v)]));
              return { name: def.legend(r.metric) ?? '', values: times.map((t) => (Number.isFinite(byTime.get(t)) ? byTime.get(t)! : null)) };
            }),
          };
        }),
      );
      return { concertId, from: new Date(start * 1000).toISOString(), to: new Date(end * 1000).toISOString(), stepSeconds: step, charts };
    },
  };
}

export type ConsoleCharts = ReturnType<typeof createConsoleCharts>;
