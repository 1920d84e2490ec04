import { z } from '../../lib/openapi/zod-openapi.js';
import { BODY_ERRORS, type ApiOperation } from '../../lib/openapi/api-operation.js';
import { isoTime, objectId } from '../../lib/openapi/common.schemas.js';
import { exampleIds, exampleTimes } from '../../lib/openapi/examples.js';
import { changePasswordBody, deleteAccountBody, loginBody, refreshBody, registerBody } from './auth.schemas.js';
import type { PublicUser } from './auth.service.js';

/*
 * The auth service's part of the OpenAPI document (the gateway assembles it): what it
 * answers (each schema `satisfies` the service's own type), an example of each, and its
 * operations.
 */

export const publicUser = z
  .object({ id: objectId, email: z.string().email(), name: z.string(), role: z.enum(['fan', 'admin']), createdAt: isoTime })
  .strict()
  .openapi('User') satisfies z.ZodType<PublicUser>;

export const sessionResponse = z.object({ user: publicUser, accessToken: z.string(), refreshToken: z.string() }).strict().openapi('Session');
export const tokenPairResponse = z.object({ accessToken: z.string(), refreshToken: z.string() }).strict().openapi('TokenPair');
export const profileResponse = z.object({ user: publicUser }).strict();

/** Example tokens: shaped like the real ones (a JWT, an opaque refresh token), signed by nobody. */
const accessToken = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI2NjUwYTFmMmMzZDRlNWY2MDEyMzQ1NjciLCJyb2xlIjoiZmFuIn0.c2lnbmF0dXJlLW9mLWFuLWV4YW1wbGU';
const refreshToken = '6650a1f2c3d4e5f6.Zm9vYmFyLWV4YW1wbGUtcmVmcmVzaC10b2tlbg';

export const exampleUser = {
  id: exampleIds.user,
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  role: 'fan',
  createdAt: exampleTimes.createdAt,
} satisfies z.input<typeof sessionResponse>['user'];

export const exampleSession = { user: exampleUser, accessToken, refreshToken } satisfies z.input<typeof sessionResponse>;
export const exampleTokenPair = { accessToken, refreshToken } satisfies z.input<typeof tokenPairResponse>;
export const exampleProfile = { user: exampleUser } satisfies z.input<typeof profileResponse>;

const exampleRequests = {
  register: { email: 'ada@example.com', password: 'correct-horse-battery', name: 'Ada Lovelace' },
  login: { email: 'ada@example.com', password: 'correct-horse-battery' },
  refresh: { refreshToken },
  deleteAccount: { password: 'correct-horse-battery' },
  changePassword: { currentPassword: 'correct-horse-battery', newPassword: 'staple-battery-horse-correct' },
};

export const AUTH_OPERATIONS: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/v1/auth/register',
    operationId: 'register',
    tag: 'auth',
    summary: 'Create a fan account',
    access: 'anyone',
    request: { body: registerBody, bodyExample: exampleRequests.register },
    responses: { 201: { description: 'The new fan, signed in.', schema: sessionResponse, example: exampleSession } },
    errors: [...BODY_ERRORS, 'email_taken'],
  },
  {
    method: 'post',
    path: '/api/v1/auth/login',
    operationId: 'login',
    tag: 'auth',
    summary: 'Sign in with email and password',
    description:
      'Unknown emails and wrong passwords get the same answer. Attempts are limited per email and client, per email from clients that have not signed in lately, and per IP.',
    access: 'anyone',
    request: { body: loginBody, bodyExample: exampleRequests.login },
    responses: { 200: { description: 'Signed in.', schema: sessionResponse, example: exampleSession } },
    errors: [...BODY_ERRORS, 'invalid_credentials', 'rate_limited'],
  },
  {
    method: 'post',
    path: '/api/v1/auth/refresh',
    operationId: 'refresh',
    tag: 'auth',
    summary: 'Swap a refresh token for a new token pair',
    description: 'The old refresh token stops working; presenting it again revokes every session of that login.',
    access: 'anyone',
    request: { body: refreshBody, bodyExample: exampleRequests.refresh },
    responses: { 200: { description: 'A new access and refresh token.', schema: tokenPairResponse, example: exampleTokenPair } },
    errors: [...BODY_ERRORS, 'invalid_refresh_token'],
  },
  {
    method: 'post',
    path: '/api/v1/auth/logout',
    operationId: 'logout',
    tag: 'auth',
    summary: 'Sign out everywhere',
    description:
      'Every refresh token of the user stops working, and so does every access token issued so far, in every service at once ' +
      '(open Socket.IO connections are closed). Signing in again gives a new pair.',
    access: 'user',
    responses: { 204: { description: 'Signed out.' } },
    errors: ['unauthorized', 'token_expired'],
  },
  {
    method: 'post',
    path: '/api/v1/auth/change-password',
    operationId: 'changePassword',
    tag: 'auth',
    summary: 'Change your password',
    description:
      'Confirm with the current password (wrong passwords count against the same per-email budget as logins). Every session ends, ' +
      'this one included: every refresh token and every access token issued so far stops working in every service; sign in again ' +
      "with the new password. The configured admin's password is ADMIN_PASSWORD (change it there and restart auth).",
    access: 'user',
    request: { body: changePasswordBody, bodyExample: exampleRequests.changePassword },
    responses: { 204: { description: 'Changed; every session of the account was signed out.' } },
    errors: [...BODY_ERRORS, 'unauthorized', 'token_expired', 'invalid_credentials', 'forbidden', 'rate_limited'],
  },
  {
    method: 'get',
    path: '/api/v1/auth/profile',
    operationId: 'getProfile',
    tag: 'auth',
    summary: 'The signed-in user',
    access: 'user',
    responses: { 200: { description: 'The user.', schema: profileResponse, example: exampleProfile } },
    errors: ['unauthorized', 'token_expired'],
  },
  {
    method: 'delete',
    path: '/api/v1/auth/me',
    operationId: 'deleteAccount',
    tag: 'auth',
    summary: 'Delete your own account',
    description:
      'Confirm with your password (wrong passwords count against the same per-email budget as logins). The account goes and every ' +
      'token of it stops working at once in every service. Your bookings stay in the sales ledger unchanged: a confirmed ticket stays ' +
      'sold, so cancel first if you want the seat released. The configured admin account cannot be deleted.',
    access: 'user',
    request: { body: deleteAccountBody, bodyExample: exampleRequests.deleteAccount },
    responses: { 204: { description: 'Deleted.' } },
    errors: [...BODY_ERRORS, 'unauthorized', 'token_expired', 'invalid_credentials', 'forbidden', 'rate_limited'],
  },
];
