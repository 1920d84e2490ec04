import type { Redis } from 'ioredis';
import { defineLuaCommands, KERNEL_LUA_DIR } from '../../lib/lua-scripts.js';
import { rateLimitedError } from '../../lib/rate-limiter.js';

/** Return codes of login-attempt-3.lua. */
export enum LoginAttemptResult {
  Allowed = 1,
  AllowedKnownClient = 2,
  ClientLimited = -1,
  EmailLimited = -2,
}

interface LoginLimitCommands {
  loginAttempt(
    clientKey: string,
    emailKey: string,
    knownKey: string,
    client: string,
    windowMs: number,
    clientLimit: number,
    emailLimit: number,
  ): Promise<[number, number]>;
  loginSucceeded(
    clientKey: string,
    emailKey: string,
    knownKey: string,
    client: string,
    countedOnEmail: '1' | '0',
    knownForMs: number,
    maxKnown: number,
  ): Promise<number>;
}

export interface LoginLimitSettings {
  /** Attempts on one email from one client per window (the low ceiling: a guesser's own). */
  perClient: number;
  /** Attempts on one email per window from clients that have not signed in to it (the distributed attack's ceiling). */
  perEmail: number;
  windowMs: number;
  /** How long a client that signed in stays spared the per-email ceiling. */
  knownClientMs: number;
}

/** Clients remembered per email; the oldest drop out first. */
const MAX_KNOWN_CLIENTS = 20;

const keys = (email: string, client: string) => ({
  client: `{login:${email}}:client:${client}`,
  email: `{login:${email}}:unknown-clients`,
  known: `{login:${email}}:known`,
});

/**
 * Login throttling after OWASP's authentication cheat sheet: a wrong password counts
 * against the (email, client) pair, with a low ceiling, so a stranger's guesses lock
 * only the stranger out; and against the email as a whole with a much higher ceiling,
 * so guesses spread over many addresses are still slowed. A client that signed in to
 * the email recently (the device-cookie idea, keyed by address) is spared the email's
 * ceiling, so an attack on an account never keeps its owner out. A right password
 * forgives the client's earlier failures.
 */
export function createLoginLimits(redis: Redis, settings: LoginLimitSettings) {
  // The kernel's folder: these build on its fixed-window and clock fragments (lib/lua/includes).
  defineLuaCommands(redis, KERNEL_LUA_DIR, ['login-attempt-3.lua', 'login-succeeded-3.lua']);
  const commands = redis as unknown as LoginLimitCommands;

  return {
    /** Counts an attempt before the password is checked; throws 429 `rate_limited` with Retry-After when a ceiling refuses it. */
    async attempt(email: string, client: string): Promise<{ succeeded(): Promise<void> }> {
      const k = keys(email, client);
      const [code, retryAfterMs] = await commands.loginAttempt(k.client, k.email, k.known, client, settings.windowMs, settings.perClient, settings.perEmail);
      const result = code as LoginAttemptResult;
      switch (result) {
        case LoginAttemptResult.Allowed:
        case LoginAttemptResult.AllowedKnownClient:
          return {
            succeeded: async () => {
              const counted = result === LoginAttemptResult.Allowed ? '1' : '0';
              await commands.loginSucceeded(k.client, k.email, k.known, client, counted, settings.knownClientMs, MAX_KNOWN_CLIENTS);
            },
          };
        case LoginAttemptResult.ClientLimited:
        case LoginAttemptResult.EmailLimited:
          throw rateLimitedError(retryAfterMs);
        default:
          throw new Error(`login-attempt returned unknown code ${String(code)}`);
      }
    },
  };
}

export type LoginLimits = ReturnType<typeof createLoginLimits>;
