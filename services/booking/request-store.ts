import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { REQUEST_TTL_SECONDS, requestKey, type Decision, type RejectionReason } from '../../lib/booking-requests.js';
import { defineLuaCommands } from '../../lib/lua-scripts.js';
import { rateLimitedError } from '../../lib/rate-limiter.js';

const LUA_DIR = path.join(path.dirname(new URL(import.meta.url).pathname), 'lua');

/** Return codes of claim-submission-2.lua. */
export enum ClaimSubmissionCode {
  RateLimited = 0,
  Admitted = 1,
  Replay = 2,
}

interface RequestStoreCommands {
  claimSubmission(
    counterKey: string,
    claimKey: string,
    windowMs: number,
    limit: number,
    claimValue: string,
    claimTtlSeconds: number,
  ): Promise<[ClaimSubmissionCode, string]>;
}

/** How many submissions one fan may make per window (replays of an Idempotency-Key are free). */
export interface SubmitLimit {
  limit: number;
  windowMs: number;
}

export interface StoredRequest {
  requestId: string;
  userId: string;
  concertId: string;
  seatTypeId: string;
  status: 'queued' | 'confirmed' | 'rejected';
  reason?: RejectionReason;
  booking?: Decision['booking'];
}

/** A rejection as stored in a request's status. */
export interface StoredAnswer {
  status: 'rejected';
  reason: RejectionReason;
}

// One hash tag per fan, so the counter and the key's claim sit in one Cluster slot.
const submitCounterKey = (userId: string) => `{fan:${userId}}:submits`;
const idempotencyKey = (userId: string, key: string) => `{fan:${userId}}:idempotency:${key}`;

/** Booking requests' status in Redis (they expire; confirmed bookings stay in MongoDB). */
export function createRequestStore(redis: Redis, submitLimit: SubmitLimit) {
  defineLuaCommands(redis, LUA_DIR, ['claim-submission-2.lua']);
  const commands = redis as unknown as RequestStoreCommands;
  return {
    async create(req: Omit<StoredRequest, 'status'>, submittedAt: number) {
      const key = requestKey(req.requestId);
      await redis
        .multi()
        .hset(key, { userId: req.userId, concertId: req.concertId, seatTypeId: req.seatTypeId, submittedAt: String(submittedAt) })
        .hsetnx(key, 'status', 'queued')
        .expire(key, REQUEST_TTL_SECONDS)
        .exec();
    },

    /** Writes a request and its rejection back after Redis lost them (see request-journal.ts). */
    async restore(req: Omit<StoredRequest, 'status'>, submittedAt: number, answer: StoredAnswer) {
      const key = requestKey(req.requestId);
      await redis
        .multi()
        .hset(key, {
          userId: req.userId,
          concertId: req.concertId,
          seatTypeId: req.seatTypeId,
          submittedAt: String(submittedAt),
          status: answer.status,
          reason: answer.reason,
        })
        .expire(key, REQUEST_TTL_SECONDS)
        .exec();
    },

    /** A request refused before queueing, remembered so a retry with the same Idempotency-Key gets the same answer. */
    async rejectEarly(req: Omit<StoredRequest, 'status'>, reason: RejectionReason) {
      const key = requestKey(req.requestId);
      await redis
        .multi()
        .hset(key, { userId: req.userId, concertId: req.concertId, seatTypeId: req.seatTypeId, status: 'rejected', reason })
        .expire(key, REQUEST_TTL_SECONDS)
        .exec();
    },

    async get(requestId: string): Promise<StoredRequest | null> {
      const h = await redis.hgetall(requestKey(requestId));
      if (!h.userId) return null;
      return {
        requestId,
        userId: h.userId,
        concertId: h.concertId,
        seatTypeId: h.seatTypeId,
        status: (h.status as StoredRequest['status']) || 'queued',
        ...(h.reason ? { reason: h.reason as RejectionReason } : {}),
        ...(h.booking ? { booking: JSON.parse(h.booking) as NonNullable<StoredRequest['booking']> } : {}),
      };
    },

    /**
     * Admits a new submission under the fan's rate limit and claims its
     * Idempotency-Key (if any) for `requestId`, in one round trip. Returns the
     * request id the key already stands for (and whether it was for the same body),
     * uncounted, or null when admitted now; throws 429 `rate_limited` over the limit.
     */
    async admitSubmission(userId: string, key: string | undefined, requestId: string, body: object): Promise<{ requestId: string; sameBody: boolean } | null> {
      const fingerprint = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);
      const [code, value] = await commands.claimSubmission(
        submitCounterKey(userId),
        key ? idempotencyKey(userId, key) : submitCounterKey(userId),
        submitLimit.windowMs,
        submitLimit.limit,
        key ? `${requestId}|${fingerprint}` : '',
        REQUEST_TTL_SECONDS,
      );
      switch (code) {
        case ClaimSubmissionCode.Admitted:
          return null;
        case ClaimSubmissionCode.Replay: {
          const [previousId, previousFingerprint] = value.split('|');
          return { requestId: previousId, sameBody: previousFingerprint === fingerprint };
        }
        case ClaimSubmissionCode.RateLimited:
          throw rateLimitedError(Number(value));
        default:
          throw new Error(`claim-submission returned unknown code ${String(code)}`);
      }
    },
  };
}

export type RequestStore = ReturnType<typeof createRequestStore>;
