import { ERROR_CODES, type ErrorCode } from '../errors.js';

/*
 * What the examples of the OpenAPI document share. Each component's `<component>.openapi.ts`
 * holds the examples of its own request bodies and answers (one per request body and per
 * success answer, each `satisfies` the type of its schema); they name the same ids and dates
 * from here, so the example booking is of the example concert's seat type. The error bodies
 * are built from the registry. The contract test parses every example in the document with
 * the zod schema it illustrates.
 */

export const exampleIds = {
  user: '6650a1f2c3d4e5f601234567',
  admin: '6650a1f2c3d4e5f601234500',
  concert: '6650b7e1a2b3c4d5e6f70001',
  floor: '6650b7e1a2b3c4d5e6f70011',
  balcony: '6650b7e1a2b3c4d5e6f70012',
  booking: '6650c9d0e1f2a3b4c5d60042',
  request: '6650c9cfe1f2a3b4c5d60041',
};

// Concerts may only be created in the future: the example concert is next summer's.
export const exampleYear = new Date().getUTCFullYear() + 1;
export const exampleTimes = {
  startsAt: `${exampleYear}-06-20T19:30:00.000Z`,
  opensAt: `${exampleYear}-06-01T10:00:00.000Z`,
  createdAt: `${exampleYear - 1}-05-24T09:12:44.120Z`,
  bookedAt: `${exampleYear}-06-01T10:02:17.532Z`,
};

/** The message and `details` of the example of codes whose answer says more than the registry's description. */
const ERROR_EXAMPLES: Partial<Record<ErrorCode, { message: string; details?: unknown }>> = {
  validation_failed: { message: 'Invalid request body', details: [{ path: 'body.email', message: 'Invalid email' }] },
};

/** The error body an operation answers with `code`, shaped as the services build it. */
export function exampleError(code: ErrorCode) {
  const { message, details } = ERROR_EXAMPLES[code] ?? { message: ERROR_CODES[code].description };
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}
