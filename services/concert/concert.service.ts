import { AppError } from '../../lib/errors.js';
import type { Inventory } from '../../lib/inventory/inventory.js';
import type { InventoryLoader } from '../../lib/inventory/inventory-loader.js';
import { DEFAULT_CURRENCY, type ConcertDoc, type SeatTypeDoc } from '../../lib/records/concert.record.js';
import type { RedisLocks } from '../../lib/redis-lock.js';
import { concertKeys } from '../../lib/inventory/inventory-keys.js';
import type { ConcertRepository } from './concert.repository.js';
import type { CreateConcertBody, SeatTypeBody, WaitingRoomSettings } from './concert.schemas.js';

export interface PublicSeatType {
  id: string;
  name: string;
  description?: string;
  price: number;
  capacity: number;
  remaining: number;
  /** Present once an operator closed it. */
  closed?: true;
}

export interface PublicConcert {
  id: string;
  name: string;
  venue: string;
  description?: string;
  startsAt: string;
  /** ISO 4217 code every price of the concert is in. */
  currency: string;
  /** Present once an operator closed sales: the cut-off, by Redis's clock. */
  salesClosedAt?: string;
  status: 'on_sale' | 'sold_out' | 'sales_closed' | 'started';
  seatTypes: PublicSeatType[];
  waitingRoom: WaitingRoomSettings;
  /** Present when the concert sets its own offer lifetime (else 600 s). */
  waitingList?: { offerTtlSeconds: number };
}

const isObjectId = (id: string) => /^[a-f0-9]{24}$/i.test(id);

export function createConcertService(concerts: ConcertRepository, inventory: Inventory, loader: InventoryLoader, locks: RedisLocks) {
  async function remainingOf(concert: ConcertDoc): Promise<Map<string, number>> {
    const ids = concert.seatTypes.map((s) => String(s._id));
    let remaining = await inventory.remaining(String(concert._id), ids);
    if (!remaining) {
      await loader.ensureLoaded(String(concert._id));
      remaining = (await inventory.remaining(String(concert._id), ids)) ?? new Map();
    }
    return remaining;
  }

  const seatTypeView = (s: SeatTypeDoc, remaining: Map<string, number>): PublicSeatType => ({
    id: String(s._id),
    name: s.name,
    ...(s.description ? { description: s.description } : {}),
    price: s.price,
    capacity: s.capacity,
    remaining: remaining.get(String(s._id)) ?? 0,
    ...(s.closed ? { closed: true as const } : {}),
  });

  async function view(concert: ConcertDoc): Promise<PublicConcert> {
    const remaining = await remainingOf(concert);
    const seatTypes = concert.seatTypes.map((s) => seatTypeView(s, remaining));
    const started = Date.now() >= concert.startsAt.getTime();
    const soldOut = seatTypes.length > 0 && seatTypes.every((s) => s.remaining === 0);
    const salesClosed = concert.salesClosedAt !== undefined && Date.now() >= concert.salesClosedAt.getTime();
    const wr = concert.waitingRoom ?? { enabled: false };
    return {
      id: String(concert._id),
      name: concert.name,
      venue: concert.venue,
      ...(concert.description ? { description: concert.description } : {}),
      startsAt: concert.startsAt.toISOString(),
      currency: concert.currency ?? DEFAULT_CURRENCY,
      ...(concert.salesClosedAt ? { salesClosedAt: concert.salesClosedAt.toISOString() } : {}),
      status: started ? 'started' : salesClosed ? 'sales_closed' : soldOut ? 'sold_out' : 'on_sale',
      seatTypes,
      waitingRoom: {
        enabled: Boolean(wr.enabled),
        ...(wr.opensAt ? { opensAt: wr.opensAt.toISOString() } : {}),
        ...(wr.admitPerSecond ? { admitPerSecond: wr.admitPerSecond } : {}),
        ...(wr.maxActive ? { maxActive: wr.maxActive } : {}),
        ...(wr.tokenTtlSeconds ? { tokenTtlSeconds: wr.tokenTtlSeconds } : {}),
        ...(wr.claimWindowSeconds ? { claimWindowSeconds: wr.claimWindowSeconds } : {}),
        ...(wr.graceSeconds ? { graceSeconds: wr.graceSeconds } : {}),
      },
      ...(concert.waitingList?.offerTtlSeconds ? { waitingList: { offerTtlSeconds: concert.waitingList.offerTtlSeconds } } : {}),
    };
  }

  async function find(id: string): Promise<ConcertDoc> {
    const concert = isObjectId(id) ? await concerts.findById(id) : null;
    if (!concert) throw new AppError('not_found', 'No such concert');
    return concert;
  }

  return {
    /** The public shape of a concert read from the record (remaining seats from Redis). */
    present: view,
    find,
    seatTypeView,

    async create(body: CreateConcertBody): Promise<PublicConcert> {
      const concert = await concerts.insert({
        name: body.name,
        venue: body.venue,
        ...(body.description ? { description: body.description } : {}),
        startsAt: new Date(body.startsAt),
        currency: body.currency ?? DEFAULT_CURRENCY,
        seatTypes: body.seatTypes ?? [],
        waitingRoom: {
          enabled: body.waitingRoom?.enabled ?? false,
          ...(body.waitingRoom?.opensAt ? { opensAt: new Date(body.waitingRoom.opensAt) } : {}),
          ...(body.waitingRoom?.admitPerSecond ? { admitPerSecond: body.waitingRoom.admitPerSecond } : {}),
          ...(body.waitingRoom?.maxActive ? { maxActive: body.waitingRoom.maxActive } : {}),
          ...(body.waitingRoom?.tokenTtlSeconds ? { tokenTtlSeconds: body.waitingRoom.tokenTtlSeconds } : {}),
          ...(body.waitingRoom?.claimWindowSeconds ? { claimWindowSeconds: body.waitingRoom.claimWindowSeconds } : {}),
          ...(body.waitingRoom?.graceSeconds ? { graceSeconds: body.waitingRoom.graceSeconds } : {}),
        },
        ...(body.waitingList?.offerTtlSeconds ? { waitingList: { offerTtlSeconds: body.waitingList.offerTtlSeconds } } : {}),
      });
      const offerTtlSeconds = concert.waitingList?.offerTtlSeconds;
      await inventory.load(
        {
          concertId: String(concert._id),
          startsAt: concert.startsAt,
          seatTypes: concert.seatTypes.map((s) => ({ id: String(s._id), capacity: s.capacity })),
          held: [],
          // The offer lifetime lives in the inventory's meta, where the Lua scripts read it.
          ...(offerTtlSeconds ? { waitingList: { waiting: [], offers: [], seq: 0, offerTtlMs: offerTtlSeconds * 1000 } } : {}),
        },
        { onlyIfMissing: true },
      );
      return view(concert);
    },

    async list(when: 'upcoming' | 'past' | 'all', limit: number, offset: number): Promise<PublicConcert[]> {
      const page = await concerts.list(when, new Date(), limit, offset);
      return Promise.all(page.map(view));
    },

    async get(id: string): Promise<PublicConcert> {
      return view(await find(id));
    },

    async seatTypes(id: string): Promise<PublicSeatType[]> {
      return (await view(await find(id))).seatTypes;
    },

    async seatType(id: string, seatTypeId: string): Promise<PublicSeatType> {
      const seatType = (await view(await find(id))).seatTypes.find((s) => s.id === seatTypeId.toLowerCase());
      if (!seatType) throw new AppError('not_found', 'No such seat type');
      return seatType;
    },

    async addSeatType(id: string, body: SeatTypeBody): Promise<PublicSeatType> {
      const concert = await find(id);
      if (Date.now() >= concert.startsAt.getTime()) throw new AppError('concert_started');
      const result = await locks.withLock(concertKeys(id).seatTypeLock, 10_000, 10_000, async () => {
        const outcome = await concerts.addSeatType(id, body);
        if (typeof outcome !== 'string') await inventory.addSeatType(id, { id: String(outcome.added._id), capacity: outcome.added.capacity });
        return outcome;
      });
      if (result === 'not_found') throw new AppError('not_found', 'No such concert');
      if (result === 'name_taken') throw new AppError('seat_type_exists');
      return seatTypeView(result.added, new Map([[String(result.added._id), result.added.capacity]]));
    },
  };
}

export type ConcertService = ReturnType<typeof createConcertService>;
