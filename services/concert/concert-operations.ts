import type { AuditActor, AuditEntry, AuditLog } from '../../lib/audit-log.js';
import { AppError } from '../../lib/errors.js';
import { OperatorCode } from '../../lib/inventory/inventory-codes.js';
import type { Inventory } from '../../lib/inventory/inventory.js';
import type { InventoryLoader } from '../../lib/inventory/inventory-loader.js';
import type { ConcertDoc } from '../../lib/records/concert.record.js';
import type { WaitingList } from '../../lib/waiting-list/waiting-list.js';
import { AddSeatsCode } from '../../lib/waiting-list/waiting-list-codes.js';
import type { ConcertRepository } from './concert.repository.js';
import { MAX_CAPACITY, type UpdateConcertBody } from './concert.schemas.js';
import type { ConcertService, PublicConcert, PublicSeatType } from './concert.service.js';
import type { ConcertStats, SoldCounter } from './concert-stats.js';
import { statsOf } from './concert-stats.js';

/** A script's NotLoaded: the rebuild lock's loop loads the keys again and retries. */
const retryIfNotLoaded = <T>(code: OperatorCode, then: () => Promise<T> | T): Promise<T | 'not_loaded'> | T | 'not_loaded' =>
  code === OperatorCode.NotLoaded ? 'not_loaded' : then();

function orNotFound<T>(result: T | 'no_concert'): T {
  if (result === 'no_concert') throw new AppError('not_found', 'No such concert');
  return result;
}

/**
 * An operator's changes to a live sale. Each one runs holding the concert's rebuild
 * lock (inventory-loader withRebuildLock), so no rebuild from an older read of the
 * record lands after it, and is written to the audit log once it took effect.
 *
 * Which side goes first is chosen so that a crash in between loses nothing:
 * - capacity: the record first, then Redis brought from the capacity it knows up to the
 *   record's (add-seats-9, which offers each new seat to the waiting list first): a repeat
 *   adds nothing twice, and the next addition, or a rebuild, finishes a half-done one;
 * - cut-offs (close sales, close a seat type) and the start: Redis first, since Redis is
 *   where bookings are decided; the record next. A crash in between answers 500: the
 *   operator retries, and the scripts answer a repeat as done.
 */
export function createConcertOperations(deps: {
  concerts: ConcertRepository;
  service: ConcertService;
  inventory: Inventory;
  loader: InventoryLoader;
  audit: AuditLog;
  sold: SoldCounter;
  waitingList: Pick<WaitingList, 'addSeats'>;
}) {
  const { concerts, service, inventory, loader, audit, waitingList } = deps;

  function seatTypeOf(concert: ConcertDoc, seatTypeId: string) {
    const seatType = concert.seatTypes.find((s) => String(s._id) === seatTypeId.toLowerCase());
    if (!seatType) throw new AppError('not_found', 'No such seat type');
    return seatType;
  }

  async function presentSeatType(concertId: string, seatTypeId: string): Promise<PublicSeatType> {
    const view = await service.present(await service.find(concertId));
    return view.seatTypes.find((s) => s.id === seatTypeId)!;
  }

  return {
    async update(id: string, body: UpdateConcertBody, actor: AuditActor): Promise<PublicConcert> {
      const concert = await service.find(id);
      if (body.startsAt && concert.waitingRoom?.opensAt && concert.waitingRoom.opensAt.getTime() >= Date.parse(body.startsAt)) {
        throw new AppError('validation_failed', undefined, [{ path: 'startsAt', message: "must be after the waiting room's opensAt" }]);
      }
      const { startsAt, waitingList, ...details } = body;
      const moved = orNotFound(
        await loader.withRebuildLock(id, async () => {
          if (startsAt) {
            const code = await inventory.moveStart(id, new Date(startsAt));
            if (code === OperatorCode.NotLoaded) return 'not_loaded';
            if (code === OperatorCode.ConcertStarted) throw new AppError('concert_started');
            if (code === OperatorCode.HasSales) throw new AppError('concert_has_sales');
          }
          const updated = await concerts.updateDetails(id, {
            ...details,
            ...(startsAt ? { startsAt: new Date(startsAt) } : {}),
            ...(waitingList ? { waitingList } : {}),
          });
          // The record first: a load it forces reads the new offer TTL, and the retry sets it again.
          if (updated && waitingList) {
            return retryIfNotLoaded(await inventory.setOfferTtl(id, waitingList.offerTtlSeconds * 1000), () => updated);
          }
          return updated;
        }),
      );
      if (!moved) throw new AppError('not_found', 'No such concert');
      await audit.record(id, actor, 'concert.update', { ...body });
      return service.present(moved);
    },

    async addCapacity(id: string, seatTypeId: string, add: number, actor: AuditActor): Promise<PublicSeatType> {
      const concert = await service.find(id);
      const before = seatTypeOf(concert, seatTypeId);
      if (Date.now() >= concert.startsAt.getTime()) throw new AppError('concert_started');
      if (before.capacity + add > MAX_CAPACITY) {
        throw new AppError('validation_failed', undefined, [{ path: 'add', message: `capacity would exceed ${MAX_CAPACITY}` }]);
      }
      let capacity: number | undefined;
      const raised = orNotFound(
        await loader.withRebuildLock(id, async () => {
          // Once: when the keys had to be loaded again, that load read the new capacity already.
          capacity ??= await concerts.addCapacity(id, String(before._id), add);
          // From what Redis knows to the record's capacity: a repeat, or the next addition after a
          // crash between the two steps, adds each missing seat once. The waiting list is offered them first.
          const known = await inventory.knownCapacity(id, String(before._id));
          const { code } = known === undefined ? { code: AddSeatsCode.NotLoaded } : await waitingList.addSeats(id, String(before._id), known, capacity);
          // Read holding the lock: the answer shows this addition's capacity, not a later one's.
          return code === AddSeatsCode.NotLoaded ? 'not_loaded' : presentSeatType(id, String(before._id));
        }),
      );
      await audit.record(id, actor, 'seat-type.capacity.add', { seatTypeId: String(before._id), add, capacity: raised.capacity });
      return raised;
    },

    async closeSeatType(id: string, seatTypeId: string, actor: AuditActor): Promise<PublicSeatType> {
      const seatType = seatTypeOf(await service.find(id), seatTypeId);
      orNotFound(
        await loader.withRebuildLock(id, async () => {
          const code = await inventory.closeSeatType(id, String(seatType._id));
          return retryIfNotLoaded(code, () => concerts.closeSeatType(id, String(seatType._id)));
        }),
      );
      await audit.record(id, actor, 'seat-type.close', { seatTypeId: String(seatType._id) });
      return presentSeatType(id, String(seatType._id));
    },

    async closeSales(id: string, actor: AuditActor): Promise<PublicConcert> {
      await service.find(id);
      const closedAt = orNotFound(
        await loader.withRebuildLock(id, async () => {
          const { code, closedAt } = await inventory.closeSales(id);
          return retryIfNotLoaded(code, async () => {
            await concerts.closeSales(id, closedAt);
            return closedAt;
          });
        }),
      );
      await audit.record(id, actor, 'sales.close', { salesClosedAt: closedAt.toISOString() });
      return service.present(await service.find(id));
    },

    async stats(id: string): Promise<ConcertStats> {
      const concert = await service.find(id);
      return statsOf(concert, await service.present(concert), await deps.sold(id));
    },

    async auditLog(id: string, limit: number): Promise<{ items: AuditEntry[] }> {
      await service.find(id);
      return { items: await audit.list(id, limit) };
    },
  };
}

export type ConcertOperations = ReturnType<typeof createConcertOperations>;
