import { z } from 'zod';
import { plainText, queryInteger } from '../../lib/validation.js';
import { LINE_SETTING_BOUNDS } from '../../lib/waiting-room-limits.js';

/** Largest seat type we initialise in one go (a stadium block); bigger venues use several seat types. */
export const MAX_CAPACITY = 100_000;

export const seatTypeBody = z
  .object({
    name: plainText(80),
    description: plainText(500).optional(),
    price: z.number().finite().min(0).max(1_000_000),
    capacity: z.number().int().min(1).max(MAX_CAPACITY),
  })
  .strict();

// The codes this Node knows (ICU's ISO 4217 list): a typo like "EUD" is refused, not printed on tickets.
const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
export const currencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in capitals, like "EUR"')
  .refine((code) => KNOWN_CURRENCIES.has(code), 'is not an ISO 4217 currency code');

export const waitingRoomBody = z
  .object({
    enabled: z.boolean(),
    opensAt: z.string().datetime({ offset: true }).optional(),
    admitPerSecond: z.number().int().min(1).max(10_000).optional(),
    maxActive: z.number().int().min(1).max(1_000_000).optional(),
    /** the claim window's earlier name, still accepted */
    tokenTtlSeconds: z.number().int().min(30).max(3600).optional(),
    claimWindowSeconds: z.number().int().min(LINE_SETTING_BOUNDS.claimWindowSeconds.min).max(LINE_SETTING_BOUNDS.claimWindowSeconds.max).optional(),
    graceSeconds: z.number().int().min(LINE_SETTING_BOUNDS.graceSeconds.min).max(LINE_SETTING_BOUNDS.graceSeconds.max).optional(),
  })
  .strict();

const futureTime = z
  .string()
  .datetime({ offset: true })
  .refine((v) => Date.parse(v) > Date.now(), 'must be in the future');

/** How long a waiting-list offer holds its seat: long enough to read an email, short enough that a seat does not sit idle. */
export const OFFER_TTL_BOUNDS = { min: 30, max: 86_400, default: 600 };

export const waitingListBody = z
  .object({
    offerTtlSeconds: z
      .number()
      .int()
      .min(OFFER_TTL_BOUNDS.min)
      .max(OFFER_TTL_BOUNDS.max)
      .optional()
      .describe(
        `How long an offered seat is held for its fan, in seconds (${OFFER_TTL_BOUNDS.min} to ${OFFER_TTL_BOUNDS.max}; default ${OFFER_TTL_BOUNDS.default})`,
      ),
  })
  .strict();

export const createConcertBody = z
  .object({
    name: plainText(200),
    venue: plainText(200),
    description: plainText(2000).optional(),
    startsAt: futureTime,
    /** Every seat type's price is in this currency; EUR when left out. */
    currency: currencyCode.optional(),
    seatTypes: z.array(seatTypeBody).max(50).optional(),
    waitingRoom: waitingRoomBody.optional(),
    waitingList: waitingListBody.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    // A line that opens at or after the start would hold its pre-queue until sales close.
    if (body.waitingRoom?.opensAt && Date.parse(body.waitingRoom.opensAt) >= Date.parse(body.startsAt)) {
      ctx.addIssue({ code: 'custom', path: ['waitingRoom', 'opensAt'], message: 'must be before startsAt' });
    }
    const seen = new Set<string>();
    body.seatTypes?.forEach((s, i) => {
      const key = s.name.toLowerCase();
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['seatTypes', i, 'name'], message: 'seat-type names must be unique per concert' });
      seen.add(key);
    });
  });

export const listConcertsQuery = z
  .object({
    limit: queryInteger(1, 100).default(20),
    offset: queryInteger(0, 100_000).default(0),
    when: z.enum(['upcoming', 'past', 'all']).default('upcoming'),
  })
  .strict();

/** An operator's edit of a live concert: at least one field; the start only while nothing is sold (checked in Redis). */
export const updateConcertBody = z
  .object({
    name: plainText(200).optional(),
    venue: plainText(200).optional(),
    description: plainText(2000).optional(),
    startsAt: futureTime.optional(),
    /** Applies to offers made from then on; an open offer keeps its expiry. */
    waitingList: waitingListBody.required().optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'name at least one field to change');

export const addCapacityBody = z.object({ add: z.number().int().min(1).max(MAX_CAPACITY) }).strict();

export const auditQuery = z.object({ limit: queryInteger(1, 500).default(100) }).strict();

export type UpdateConcertBody = z.infer<typeof updateConcertBody>;
export type CreateConcertBody = z.infer<typeof createConcertBody>;
export type SeatTypeBody = z.infer<typeof seatTypeBody>;
/** A concert's waiting-room settings, as created and as shown. */
export type WaitingRoomSettings = z.infer<typeof waitingRoomBody>;
