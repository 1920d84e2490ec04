interface Pending<T> {
  doc: T;
  resolve: (outcome: InsertOutcome) => void;
  reject: (err: unknown) => void;
}

interface WriteErrorLike {
  index: number;
  code?: number;
  err?: { code?: number };
}

/** `duplicate`: a unique index (or `_id`) refused the document. */
export type InsertOutcome = 'inserted' | 'duplicate';

/**
 * Groups the inserts of concurrent callers into one unordered insertMany per few
 * milliseconds (FerretDB is slow one document at a time: one round trip and one
 * SQLite transaction each). Every caller still learns its own outcome; an error
 * other than a duplicate key rejects only the documents it concerns.
 */
export function createInsertBatcher<T>(insertMany: (docs: T[]) => Promise<unknown>, opts: { maxBatch: number; maxWaitMs: number }) {
  let pending: Pending<T>[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  async function flush() {
    clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    if (!batch.length) return;
    inFlight++;
    try {
      await insertMany(batch.map((p) => p.doc));
      for (const p of batch) p.resolve('inserted');
    } catch (err) {
      const writeErrors = (err as { writeErrors?: WriteErrorLike[] | WriteErrorLike }).writeErrors;
      const perDocument = writeErrors === undefined ? [] : Array.isArray(writeErrors) ? writeErrors : [writeErrors];
      // Only a server reply naming the documents it refused says the others were
      // written. The driver's bulk error for an unreachable server, a lost connection
      // or a write-concern failure has an empty list: nothing is known to be written
      // and every caller must retry (reading it as "none failed" confirmed bookings
      // that never reached MongoDB while it was down).
      if (!perDocument.length) {
        for (const p of batch) p.reject(err);
        return;
      }
      const failed = new Map(perDocument.map((w) => [w.index, w.code ?? w.err?.code]));
      batch.forEach((p, index) => {
        if (!failed.has(index)) p.resolve('inserted');
        else if (failed.get(index) === 11000) p.resolve('duplicate');
        else p.reject(err);
      });
    } finally {
      inFlight--;
      if (inFlight === 0 && !pending.length) drained?.();
    }
  }

  return {
    insert(doc: T): Promise<InsertOutcome> {
      return new Promise<InsertOutcome>((resolve, reject) => {
        pending.push({ doc, resolve, reject });
        if (pending.length >= opts.maxBatch) void flush();
        else timer ??= setTimeout(() => void flush(), opts.maxWaitMs);
      });
    },
    /** Writes what is pending and waits for every write in flight (graceful shutdown). */
    async drain() {
      await flush();
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
    },
  };
}
