import bcrypt from 'bcrypt';
import { AppError } from '../../lib/errors.js';
import type { RateLimiter } from '../../lib/rate-limiter.js';
import type { TokenService } from './token.service.js';
import { EmailTakenError, type UserRecord, type UserRepository } from './user.repository.js';

export interface PublicUser {
  id: string;
  email: string;
  name: string;
  role: string;
  createdAt: string;
}

export const toPublicUser = (u: UserRecord): PublicUser => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  createdAt: u.createdAt.toISOString(),
});

export interface AuthSettings {
  bcryptRounds: number;
  loginLimitPerEmail: number;
  loginLimitPerIp: number;
  loginLimitWindowMs: number;
}

export function createAuthService(users: UserRepository, tokens: TokenService, limiter: RateLimiter, settings: AuthSettings) {
  // Compared against for unknown emails so both failure paths cost one bcrypt check.
  const dummyHash = bcrypt.hashSync('not-a-real-password', settings.bcryptRounds);

  async function session(user: UserRecord) {
    return {
      user: toPublicUser(user),
      accessToken: tokens.signAccessToken(user),
      refreshToken: await tokens.issueRefreshToken(user.id),
    };
  }

  return {
    async register(input: { email: string; password: string; name: string }) {
      const passwordHash = await bcrypt.hash(input.password, settings.bcryptRounds);
      try {
        const user = await users.insert({ email: input.email, name: input.name, role: 'fan', passwordHash });
        return session(user);
      } catch (err) {
        if (err instanceof EmailTakenError) throw new AppError('email_taken');
        throw err;
      }
    },

    async login(input: { email: string; password: string }, ip: string) {
      const windowMs = settings.loginLimitWindowMs;
      await limiter.hit({ name: 'login-ip', limit: settings.loginLimitPerIp, windowMs }, ip);
      await limiter.hit({ name: 'login-email', limit: settings.loginLimitPerEmail, windowMs }, input.email);
      const user = await users.findByEmail(input.email);
      const ok = await bcrypt.compare(input.password, user?.passwordHash ?? dummyHash);
      if (!user || !ok) throw new AppError('invalid_credentials', 'Wrong email or password');
      return session(user);
    },

    async refresh(refreshToken: string) {
      const { userId, refreshToken: next } = await tokens.rotate(refreshToken);
      const user = await users.findById(userId);
      if (!user) {
        await tokens.revokeAll(userId);
        throw new AppError('invalid_refresh_token');
      }
      return { accessToken: tokens.signAccessToken(user), refreshToken: next };
    },

    async logout(userId: string) {
      await tokens.revokeAll(userId);
    },

    async profile(userId: string) {
      const user = await users.findById(userId);
      if (!user) throw new AppError('unauthorized', 'This account no longer exists');
      return { user: toPublicUser(user) };
    },

    /** Creates the configured admin when absent; racing starts of several copies are fine (unique index). */
    async ensureAdmin(admin: { email: string; password: string; name: string }) {
      if (await users.findByEmail(admin.email)) return;
      const passwordHash = await bcrypt.hash(admin.password, settings.bcryptRounds);
      try {
        await users.insert({ email: admin.email, name: admin.name, role: 'admin', passwordHash });
      } catch (err) {
        if (!(err instanceof EmailTakenError)) throw err;
      }
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
