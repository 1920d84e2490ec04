import assert from 'node:assert/strict';
import type { ErrorBody } from './api-types.js';
import type { ApiResponse } from './test-platform.js';

/** Asserts the status and the public error shape `{error: {code, message}}`. */
export function assertError(res: ApiResponse, status: number, code?: string) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  // Any body may arrive here; the assertions below are what establish the error shape.
  const error = (res.body as Partial<ErrorBody> | undefined)?.error;
  assert.equal(typeof error?.code, 'string', `not the error shape: ${JSON.stringify(res.body)}`);
  assert.equal(typeof error!.message, 'string');
  if (code) assert.equal(error!.code, code);
  assert.doesNotMatch(JSON.stringify(res.body), /\bat .+\.(ts|js):\d+/, 'a stack trace leaked');
}
