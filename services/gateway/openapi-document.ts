import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { ERROR_CODES, type ErrorCode } from '../../lib/errors.js';
import { SHARED_ERRORS, type ApiOperation } from '../../lib/openapi/api-operation.js';
import { errorResponse } from '../../lib/openapi/common.schemas.js';
import { exampleError } from '../../lib/openapi/examples.js';
import { AUTH_OPERATIONS } from '../auth/auth.openapi.js';
import { BOOKING_OPERATIONS } from '../booking/booking.openapi.js';
import { WAITING_LIST_OPERATIONS } from '../booking/waiting-list/waiting-list.openapi.js';
import { CONCERT_OPERATIONS } from '../concert/concert.openapi.js';
import { CONSOLE_OPERATIONS } from '../concert/console.openapi.js';
import { NOTIFICATION_OPERATIONS } from '../notification/notification.openapi.js';
import { WAITING_ROOM_OPERATIONS } from '../../waiting-room/waiting-room.openapi.js';

/**
 * Every public operation the gateway forwards, as each component declares them next to
 * its routes (`<component>.openapi.ts`), in the order the document lists them. The
 * document is built from this list, and so are the methods CORS allows (cors.ts).
 */
export const API_OPERATIONS: readonly ApiOperation[] = [
  ...AUTH_OPERATIONS,
  ...CONCERT_OPERATIONS,
  ...CONSOLE_OPERATIONS,
  ...BOOKING_OPERATIONS,
  ...WAITING_LIST_OPERATIONS,
  ...NOTIFICATION_OPERATIONS,
  ...WAITING_ROOM_OPERATIONS,
];

export interface OpenApiOptions {
  /** Public base URL of the gateway, listed as the server. */
  serverUrl?: string;
  version?: string;
}

const ACCESS_NOTE: Record<ApiOperation['access'], string> = {
  anyone: '',
  user: 'Needs an access token.',
  admin: '**Admin only**: needs the access token of an admin; fans get 403 `forbidden`.',
};

/** The extension that marks operations only admins may call (readers show it as a badge). */
export const REQUIRED_ROLE = 'x-required-role';

/**
 * The error responses of one operation, one per HTTP status, each listing its codes
 * (a markdown list when there are several) with an example body per code.
 */
function errorResponses(op: ApiOperation): Record<number, ResponseConfig> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set([...op.errors, ...SHARED_ERRORS])) {
    const { status } = ERROR_CODES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<number, ResponseConfig> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[status] = {
      description: codes.map((c) => `${codes.length > 1 ? '- ' : ''}\`${c}\`: ${ERROR_CODES[c].description}`).join('\n'),
      ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds until a retry may succeed.', schema: { type: 'integer' } } } } : {}),
      content: {
        'application/json': {
          schema: errorResponse(codes),
          examples: Object.fromEntries(codes.map((c) => [c, { summary: ERROR_CODES[c].description, value: exampleError(c) }])),
        },
      },
    };
  }
  return responses;
}

/** Builds the OpenAPI 3.1 document of the public API from the components' operations and their zod schemas. */
export function buildOpenApiDocument(opts: OpenApiOptions = {}) {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'The `accessToken` from register, login or refresh (RS256, short-lived).',
  });

  for (const op of API_OPERATIONS) {
    const success: Record<number, ResponseConfig> = {};
    for (const [status, r] of Object.entries(op.responses)) {
      success[Number(status)] = {
        description: r.description,
        ...(r.headers
          ? { headers: Object.fromEntries(Object.entries(r.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }])) }
          : {}),
        ...(r.schema
          ? {
              content: {
                [r.contentType ?? 'application/json']: { schema: r.schema, example: r.example },
                ...(r.alternative ? { [r.alternative.contentType]: { schema: r.alternative.schema, example: r.alternative.example } } : {}),
              },
            }
          : {}),
      };
    }
    registry.registerPath({
      method: op.method,
      path: op.path,
      operationId: op.operationId,
      tags: [op.tag],
      summary: op.summary,
      description: [op.description, ACCESS_NOTE[op.access]].filter(Boolean).join('\n\n') || undefined,
      ...(op.access === 'anyone' ? {} : { security: [{ [bearer.name]: [] }] }),
      ...(op.access === 'admin' ? { [REQUIRED_ROLE]: 'admin' } : {}),
      request: {
        ...(op.request?.params ? { params: op.request.params } : {}),
        ...(op.request?.query ? { query: op.request.query } : {}),
        ...(op.request?.headers ? { headers: op.request.headers } : {}),
        ...(op.request?.body
          ? { body: { required: true, content: { 'application/json': { schema: op.request.body, example: op.request.bodyExample } } } }
          : {}),
      },
      responses: { ...success, ...errorResponses(op) },
    });
  }

  const generator = new OpenApiGeneratorV31(registry.definitions);
  const document = generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Onsale concert booking API',
      version: opts.version ?? '1',
      description:
        'Queue-first concert ticketing. Errors always have the shape `{"error": {"code", "message", "details"?}}`; ' +
        'the codes each operation can answer with are listed on its responses.\n\n' +
        'Booking decisions are also pushed over Socket.IO (path `/socket.io`, `auth: {token}`); see docs/USAGE.md:\n\n' +
        '- `booking:result`: the decision on a booking request\n' +
        '- `concert:stock`: remaining seats of a concert\n' +
        '- `waiting-room:update`, `waiting-room:admitted`, `waiting-room:sold-out`: the fan’s place in a line\n' +
        '- `waiting-list:update`, `waiting-list:offer`: the fan’s place on a sold-out concert’s waiting list, and a seat offered\n\n' +
        'Operations marked **admin only** (`x-required-role: admin`) need the access token of an admin account.',
    },
    servers: [{ url: opts.serverUrl ?? '/' }],
    tags: [
      { name: 'auth', description: 'Accounts and tokens' },
      { name: 'concerts', description: 'Concerts and seat types (admins create, anyone reads)' },
      { name: 'bookings', description: 'Booking requests and bookings' },
      { name: 'waiting-list', description: 'Sold out: a list per concert that offers freed seats in order' },
      { name: 'notifications', description: 'Simulated emails' },
      { name: 'waiting-room', description: 'A fair line per concert that hands out admission tokens' },
      { name: 'pages', description: 'Browser pages served through the gateway' },
    ],
  });
  return { ...document, 'x-error-codes': ERROR_CODES };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
