import { trusted } from 'mongoose';
import client, { type Registry } from 'prom-client';
import { LruMap } from './lru-map.js';
import type { ConcertDoc, ConcertModel } from './records/concert.record.js';

/** The label every concert beyond the cap shares, so a catalogue of any size adds a bounded number of series. */
export const OTHER_CONCERT = 'other';
/** Concerts labelled by their own id at most, per process. */
export const MAX_LABELLED_CONCERTS = 20;
/** A concert keeps its series this long after it starts, so the dashboards show the end of its sale. */
export const KEEP_AFTER_START_MS = 15 * 60_000;
const REFRESH_EVERY_MS = 10_000;

export interface LabelledConcert {
  id: string;
  name: string;
  startsAt: Date;
}

/** Where the labels come from: the concerts on sale (soonest first), and the named ones by id. */
export interface ConcertCatalogue {
  onSale(since: Date, limit: number): Promise<LabelledConcert[]>;
  byIds(ids: string[]): Promise<LabelledConcert[]>;
}

export interface ConcertLabels {
  /** The `concert` label value for an id: its own while labelled (or room is left), else `other`. Cheap: one Map lookup. */
  of(concertId: string): string;
  /** Called with a label when it is added (make its series at 0) and when it goes (remove them). */
  watch(listener: { added(label: string): void; removed(label: string): void }): void;
  /** Labels held now, `other` included. */
  labels(): string[];
  /** Re-reads the catalogue now (also done every 10 s). */
  refresh(): Promise<void>;
  close(): void;
}

/**
 * Bounds every per-concert series of a process to the concerts on sale: at most
 * `max` concerts (the soonest on sale, plus any booked before the next refresh
 * while room is left) get their own label, the rest share `other`. A concert
 * leaves the set once it started (after `KEEP_AFTER_START_MS`) and never comes
 * back, so late refusals of a past concert cannot churn series. Names ride on a
 * separate `concert_info{concert,name} 1` series: dashboards join on it, and a
 * rename changes one series, not every metric.
 */
export function createConcertLabels(
  registry: Registry,
  catalogue: ConcertCatalogue,
  opts: { max?: number; keepAfterStartMs?: number; onError?: (err: unknown) => void } = {},
): ConcertLabels {
  const max = opts.max ?? MAX_LABELLED_CONCERTS;
  const keepAfterStartMs = opts.keepAfterStartMs ?? KEEP_AFTER_START_MS;
  const held = new Map<string, { name: string }>();
  const retired = new LruMap<string, true>(10_000);
  const listeners: Array<{ added(label: string): void; removed(label: string): void }> = [];

  new client.Gauge({
    name: 'concert_info',
    help: 'Names of the concerts labelled by id (value 1); join on `concert` for legends',
    labelNames: ['concert', 'name'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [concert, { name }] of held) this.set({ concert, name }, 1);
      this.set({ concert: OTHER_CONCERT, name: 'Other concerts' }, 1);
    },
  });

  const add = (id: string, info: { name: string }) => {
    held.set(id, info);
    for (const l of listeners) l.added(id);
  };
  const remove = (id: string) => {
    held.delete(id);
    retired.set(id, true);
    for (const l of listeners) l.removed(id);
  };

  async function refresh() {
    const since = new Date(Date.now() - keepAfterStartMs);
    // Every held concert is read again: a rename or a new start time shows within one refresh.
    const ids = [...held.keys()];
    const [onSale, current] = await Promise.all([catalogue.onSale(since, max), ids.length ? catalogue.byIds(ids) : []]);
    const byId = new Map(current.map((c) => [c.id, c]));
    for (const id of ids) {
      const c = byId.get(id);
      if (!c || c.startsAt < since) remove(id);
      else held.set(id, { name: c.name });
    }
    for (const c of onSale) {
      if (held.size >= max) break;
      if (!held.has(c.id) && !(retired.get(c.id) ?? false)) add(c.id, { name: c.name });
    }
  }
  let naming = false;
  const run = () => refresh().catch((err: unknown) => opts.onError?.(err));
  void run();
  const timer = setInterval(() => void run(), REFRESH_EVERY_MS);
  timer.unref();

  return {
    of(concertId) {
      if (held.has(concertId)) return concertId;
      if (held.size >= max || (retired.get(concertId) ?? false)) return OTHER_CONCERT;
      // Its id stands in for the name until the refresh this schedules reads it.
      add(concertId, { name: concertId });
      if (!naming) {
        naming = true;
        setImmediate(() => void run().finally(() => (naming = false)));
      }
      return concertId;
    },
    watch(listener) {
      listeners.push(listener);
      listener.added(OTHER_CONCERT);
      for (const id of held.keys()) listener.added(id);
    },
    labels: () => [...held.keys(), OTHER_CONCERT],
    refresh,
    close: () => clearInterval(timer),
  };
}

/**
 * The children of a metric for each concert label, made once when the label is
 * added (so the series exist at 0 before the first booking, and rate() sees
 * the whole burst) and dropped with it; a request costs a Map lookup, no label
 * object and no label hashing of ours.
 */
export function perConcert<T>(labels: ConcertLabels, make: (concert: string) => T, drop: (concert: string) => void): (concertId: string) => T {
  const children = new Map<string, T>();
  labels.watch({
    added(label) {
      if (!children.has(label)) children.set(label, make(label));
    },
    removed(label) {
      children.delete(label);
      drop(label);
    },
  });
  return (concertId) => {
    const label = labels.of(concertId);
    return children.get(label) ?? children.get(OTHER_CONCERT)!;
  };
}

/** The catalogue read from the concerts collection (`trusted`: the connection sanitises filters, these operators are ours). */
export function mongoConcertCatalogue(model: ConcertModel): ConcertCatalogue {
  type Row = Pick<ConcertDoc, '_id' | 'name' | 'startsAt'>;
  const toLabelled = (rows: Row[]) => rows.map((r) => ({ id: String(r._id), name: r.name, startsAt: new Date(r.startsAt) }));
  return {
    async onSale(since, limit) {
      return toLabelled(
        await model
          .find({ startsAt: trusted({ $gte: since }) }, { name: 1, startsAt: 1 })
          .sort({ startsAt: 1 })
          .limit(limit)
          .lean<Row[]>()
          .exec(),
      );
    },
    async byIds(ids) {
      const valid = ids.filter((id) => /^[0-9a-f]{24}$/.test(id));
      return toLabelled(
        await model
          .find({ _id: trusted({ $in: valid }) }, { name: 1, startsAt: 1 })
          .lean<Row[]>()
          .exec(),
      );
    },
  };
}
