import { z } from 'zod';
import { commonEnv, pemKey, positiveInt, secret } from '../../lib/config.js';

export const authConfigSchema = z.object({
  ...commonEnv,
  JWT_PRIVATE_KEY: pemKey,
  ACCESS_TOKEN_TTL_SECONDS: positiveInt.default(900),
  REFRESH_TOKEN_TTL_SECONDS: positiveInt.default(30 * 24 * 3600),
  BCRYPT_ROUNDS: z.coerce.number().int().min(4).max(15).default(10),
  ADMIN_EMAIL: z.string().trim().toLowerCase().email(),
  ADMIN_PASSWORD: secret(12),
  ADMIN_NAME: z.string().min(1).default('Administrator'),
  LOGIN_LIMIT_PER_CLIENT: positiveInt.default(5),
  LOGIN_LIMIT_PER_EMAIL: positiveInt.default(100),
  LOGIN_LIMIT_PER_IP: positiveInt.default(100),
  LOGIN_LIMIT_WINDOW_SECONDS: positiveInt.default(900),
  LOGIN_KNOWN_CLIENT_DAYS: positiveInt.default(30),
  /**
   * Accounts one client IP may register per window, then 429 with Retry-After (checked before
   * bcrypt runs). 300 accounts from one IP took 3.4 s without it (issue 15). Households and
   * offices behind one NAT register a few; `npm start` raises it (every local fan is 127.0.0.1).
   */
  REGISTER_LIMIT_PER_IP: positiveInt.default(20),
  REGISTER_LIMIT_WINDOW_SECONDS: positiveInt.default(3600),
});

export type AuthConfig = z.infer<typeof authConfigSchema>;
