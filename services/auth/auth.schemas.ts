import { z } from 'zod';
import { plainText } from '../../lib/validation.js';

const email = z.string().trim().toLowerCase().max(254).email();
// bcrypt reads at most 72 bytes; longer passwords would be silently truncated.
const password = z
  .string()
  .min(8)
  .refine((v) => Buffer.byteLength(v, 'utf8') <= 72, 'must be at most 72 bytes');

export const registerBody = z.object({ email, password, name: plainText(100) }).strict();
export const loginBody = z.object({ email, password: z.string().min(1).max(200) }).strict();
/** Deleting the account asks for the password again: an access token alone is not enough. */
export const deleteAccountBody = z.object({ password: z.string().min(1).max(200) }).strict();
/** Changing the password asks for the current one; the new one follows registration's rules. */
export const changePasswordBody = z.object({ currentPassword: z.string().min(1).max(200), newPassword: password }).strict();
export const refreshBody = z.object({ refreshToken: z.string().min(1).max(200) }).strict();
