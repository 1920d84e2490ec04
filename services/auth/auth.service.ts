import bcrypt from 'bcrypt';
import { AppError } from '../../lib/errors.js';
import type { RateLimiter } from '../../lib/rate-limiter.js';
import type { LoginLimits } from './login-limits.js';
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
  /** Password confirmations (account deletion, password change) per signed-in account per window. */
  passwordConfirmLimit: number;
  loginLimitPerIp: number;
  loginLimitWindowMs: number;
  /** Accounts one client IP may register per window (throwaway accounts for the waiting room, bought seats). */
  registerLimitPerIp: number;
  registerLimitWindowMs: number;
  accessTokenTtlMs: number;
}

export function createAuthService(users: UserRepository, tokens: TokenService, limiter: RateLimiter, loginLimits: LoginLimits, settings: AuthSettings) {
  // Compared against for unknown emails so both failure paths cost one bcrypt check.
  const dummyHash = bcrypt.hashSync('not-a-real-password', settings.bcryptRounds);

  async function session(user: UserRecord) {
    return {
      user: toPublicUser(user),
      accessToken: await tokens.accessTokenFor(user),
      refreshToken: await tokens.issueRefreshToken(user.id),
    };
  }

  /**
   * Counts a signed-in user's password confirmation (account deletion, password change):
   * a budget of the account's own, apart from the login ceilings, which strangers'
   * failed logins fill; only a holder of the account's access token can spend it.
   */
  const hitEmailLimit = (email: string) =>
    limiter.hit({ name: 'password-confirm', limit: settings.passwordConfirmLimit, windowMs: settings.loginLimitWindowMs }, email);

  return {
    async register(input: { email: string; password: string; name: string }, ip: string) {
      // Before bcrypt: a flood must not cost a hash each.
      await limiter.hit({ name: 'register-ip', limit: settings.registerLimitPerIp, windowMs: settings.registerLimitWindowMs }, ip);
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
      // Per (email, client) and per email for clients new to it (services/auth/login-limits.ts).
      const attempt = await loginLimits.attempt(input.email, ip);
      const user = await users.findByEmail(input.email);
      const ok = await bcrypt.compare(input.password, user?.passwordHash ?? dummyHash);
      if (!user || !ok) throw new AppError('invalid_credentials', 'Wrong email or password');
      await attempt.succeeded();
      return session(user);
    },

    async refresh(refreshToken: string) {
      const { userId, refreshToken: next } = await tokens.rotate(refreshToken);
      const user = await users.findById(userId);
      if (!user) {
        await tokens.revokeAll(userId);
        throw new AppError('invalid_refresh_token');
      }
      return { accessToken: await tokens.accessTokenFor(user), refreshToken: next };
    },

    /** Signs out everywhere: the refresh tokens and the access tokens issued so far stop working. */
    async logout(userId: string) {
      await tokens.revokeAll(userId);
      await tokens.revokeAccessTokens(userId, Date.now());
    },

    /**
     * A fan deletes their own account, confirming with the password (a stolen access
     * token alone must not be enough). The user record goes; the bookings stay as they
     * are, because they are the sales ledger (a confirmed ticket stays sold, under the
     * user id and email it was bought with; cancel first to free the seat). Every
     * token stops working at once: the access-token revocation reaches one lifetime
     * into the future, so a login that raced the deletion cannot mint a usable token.
     * Repeating the call after a partial failure finishes it.
     */
    async deleteAccount(requester: { id: string; email: string; role: string }, password: string) {
      if (requester.role === 'admin') throw new AppError('forbidden', 'The configured admin account cannot be deleted (it is recreated at start)');
      const user = await users.findById(requester.id);
      if (user) {
        await hitEmailLimit(user.email);
        if (!(await bcrypt.compare(password, user.passwordHash))) throw new AppError('invalid_credentials', 'Wrong password');
        await users.deleteById(user.id);
      }
      await tokens.revokeAll(requester.id);
      await tokens.revokeAccessTokens(requester.id, Date.now() + settings.accessTokenTtlMs);
    },

    async profile(userId: string) {
      const user = await users.findById(userId);
      if (!user) throw new AppError('unauthorized', 'This account no longer exists');
      return { user: toPublicUser(user) };
    },

    /**
     * A user changes their password, confirming with the current one (counted against
     * the email's login budget, like a login). Every session ends, this one included:
     * the refresh tokens and the access tokens issued so far stop working; the client
     * signs in again with the new password. The configured admin's password is
     * ADMIN_PASSWORD's (rotated at start, see ensureAdmin), so it cannot be changed here.
     */
    async changePassword(requester: { id: string; role: string }, input: { currentPassword: string; newPassword: string }) {
      if (requester.role === 'admin') throw new AppError('forbidden', "The admin's password is ADMIN_PASSWORD: change it there and restart auth");
      const user = await users.findById(requester.id);
      if (!user) throw new AppError('unauthorized', 'This account no longer exists');
      await hitEmailLimit(user.email);
      if (!(await bcrypt.compare(input.currentPassword, user.passwordHash))) throw new AppError('invalid_credentials', 'Wrong password');
      await users.update(user.id, { passwordHash: await bcrypt.hash(input.newPassword, settings.bcryptRounds) });
      await tokens.revokeAll(user.id);
      await tokens.revokeAccessTokens(user.id, Date.now());
    },

    /**
     * Makes ADMIN_EMAIL / ADMIN_PASSWORD the admin, at every start: creates the account
     * when absent; when the password no longer matches (ADMIN_PASSWORD was rotated) or
     * the account is not admin, sets the hash and the role and ends its sessions; every
     * other admin account (an earlier ADMIN_EMAIL) becomes a fan and its sessions end
     * (their access tokens still say admin). Racing starts of several copies are fine
     * (unique index; the updates are idempotent). Returns what changed, for the log.
     */
    async ensureAdmin(admin: { email: string; password: string; name: string }) {
      const changes = { created: false, passwordRotated: false, promoted: false, demoted: [] as string[] };
      const existing = await users.findByEmail(admin.email);
      if (!existing) {
        const passwordHash = await bcrypt.hash(admin.password, settings.bcryptRounds);
        try {
          await users.insert({ email: admin.email, name: admin.name, role: 'admin', passwordHash });
          changes.created = true;
        } catch (err) {
          if (!(err instanceof EmailTakenError)) throw err;
        }
      } else {
        changes.passwordRotated = !(await bcrypt.compare(admin.password, existing.passwordHash));
        changes.promoted = existing.role !== 'admin';
        if (changes.passwordRotated || changes.promoted) {
          await users.update(existing.id, {
            role: 'admin',
            passwordHash: changes.passwordRotated ? await bcrypt.hash(admin.password, settings.bcryptRounds) : existing.passwordHash,
          });
          await tokens.revokeAll(existing.id);
          await tokens.revokeAccessTokens(existing.id, Date.now());
        }
      }
      for (const stale of await users.demoteAdminsExcept(admin.email)) {
        await tokens.revokeAll(stale.id);
        await tokens.revokeAccessTokens(stale.id, Date.now());
        changes.demoted.push(stale.email);
      }
      return changes;
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
