import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Connection } from 'mongoose';
import type { Inventory } from '../../../lib/inventory/inventory.js';
import type { InventoryLoader } from '../../../lib/inventory/inventory-loader.js';
import type { Logger } from '../../../lib/logger.js';
import type { BookingModel } from '../../../lib/records/booking.record.js';
import type { ConcertCache } from '../../../lib/records/concert-cache.js';
import { waitingListRecords } from '../../../lib/records/waiting-list.record.js';
import { createWaitingList } from '../../../lib/waiting-list/waiting-list.js';
import { createOfferAnnouncer, type FanEmitter } from './offer-announcer.js';
import { createWaitingListTicker, type WaitingListTickerOptions } from './waiting-list-ticker.js';
import { NO_WAITING_LIST_METRICS, type WaitingListMetrics } from './waiting-list.metrics.js';
import { createWaitingListService } from './waiting-list.service.js';

export interface WaitingListComponentDeps {
  redis: Redis;
  mongo: Connection;
  bookings: BookingModel;
  inventory: Pick<Inventory, 'remaining' | 'isLoaded'>;
  loader: Pick<InventoryLoader, 'ensureLoaded'>;
  concerts: ConcertCache;
  notifications: Pick<Queue, 'add'>;
  emit: FanEmitter;
  metrics?: WaitingListMetrics;
  logger: Logger;
}

/** The waiting list's parts in the booking service, wired once (main.ts and the in-process tests). */
export async function createWaitingListComponent(deps: WaitingListComponentDeps, tickerOpts: WaitingListTickerOptions) {
  const records = waitingListRecords(deps.mongo);
  await Promise.all([records.entries.createIndexes(), records.offers.createIndexes()]);
  const lists = createWaitingList(deps.redis);
  const metrics = deps.metrics ?? NO_WAITING_LIST_METRICS;
  const announcer = createOfferAnnouncer({ ...deps, lists, records, metrics });
  const service = createWaitingListService({ ...deps, lists, records, announcer, metrics });
  const ticker = createWaitingListTicker({ ...deps, lists, records, announcer, metrics }, tickerOpts);
  return { records, lists, announcer, service, ticker };
}

export type WaitingListComponent = Awaited<ReturnType<typeof createWaitingListComponent>>;
