import { Schema, type Connection, type mongo } from 'mongoose';
import { createInsertBatcher } from '../../lib/insert-batcher.js';
import { NOTIFICATION_JOBS, type NotificationJobName } from '../../lib/queues.js';

export type EmailStatus = 'sending' | 'sent';

export interface EmailRecord {
  id: string;
  idempotencyKey: string;
  event: NotificationJobName;
  bookingId: string;
  userId: string;
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  status: EmailStatus;
  /** Until then the attempt that claimed the email owns it; afterwards another may take over. */
  leaseUntil: Date;
  attempts: number;
  createdAt: Date;
  sentAt?: Date;
}

/** Stored with `_id` = the idempotency key. */
type EmailDoc = Omit<EmailRecord, 'id'> & { _id: string };
export type EmailDraft = Omit<EmailRecord, 'id' | 'status' | 'leaseUntil' | 'attempts' | 'createdAt' | 'sentAt'>;

const emailSchema = new Schema<EmailDoc>(
  {
    _id: { type: String, required: true },
    idempotencyKey: { type: String, required: true },
    event: { type: String, enum: Object.values(NOTIFICATION_JOBS), required: true },
    bookingId: { type: String, required: true },
    userId: { type: String, required: true },
    to: { type: String, required: true },
    from: { type: String, required: true },
    subject: { type: String, required: true },
    text: { type: String, required: true },
    html: { type: String, required: true },
    messageId: { type: String, required: true },
    status: { type: String, enum: ['sending', 'sent'], required: true },
    leaseUntil: { type: Date, required: true },
    attempts: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    sentAt: { type: Date },
  },
  { versionKey: false, collection: 'emails' },
);
// No secondary indexes, on purpose. The idempotency key is the `_id`, so the
// primary key decides "one email per booking event", not a lookup. FerretDB v1
// (SQLite) pushes a filter down only when it is exactly `{_id}`: every other
// filter decodes the whole collection, so every hot-path read and update here is
// by `_id` alone, and an index on e.g. userId would be maintained on each write
// (the JSON document parsed once more per indexed field) and never used.

/** What a claim found: ours to send, already sent, or owned by a live attempt until `leaseUntil`. */
export type ClaimResult = { kind: 'claimed'; email: EmailRecord } | { kind: 'sent'; email: EmailRecord } | { kind: 'busy'; leaseUntil: Date };

export const idempotencyKey = (event: NotificationJobName, bookingId: string) => `${event}:${bookingId}`;

export interface EmailRepositoryOptions {
  /** Inserts of concurrent jobs are written together: at most this many per insertMany… */
  maxBatch?: number;
  /** …and the first waits at most this long for company. */
  maxWaitMs?: number;
}

export function createEmailRepository(conn: Connection, opts: EmailRepositoryOptions = {}) {
  const { maxBatch = 50, maxWaitMs = 4 } = opts;
  const Emails = conn.model<EmailDoc>('Email', emailSchema);
  // The driver's collection for the hot path: our own documents, no casting needed.
  const collection = Emails.collection as unknown as mongo.Collection<EmailDoc>;
  const toRecord = (doc: EmailDoc): EmailRecord => {
    const { _id, ...rest } = doc;
    return { id: _id, ...rest };
  };

  // One insertMany per few milliseconds of jobs instead of one round trip (and one
  // SQLite transaction) per email. Each caller still learns its own outcome.
  const batcher = createInsertBatcher<EmailDoc>((docs) => collection.insertMany(docs, { ordered: false }), { maxBatch, maxWaitMs });

  /** Resolves false when a record with this key exists already. */
  const insert = async (doc: EmailDoc): Promise<boolean> => (await batcher.insert(doc)) === 'inserted';

  const findByKey = (key: string) => collection.findOne({ _id: key });

  /** The claim for a key that is stored already: sent, busy, or ours if its lease ran out. */
  async function claimExisting(key: string, leaseMs: number): Promise<ClaimResult> {
    const existing = await findByKey(key);
    if (!existing) throw new Error(`email ${key} is neither insertable nor stored (a record without the key as _id?)`);
    if (existing.status === 'sent') return { kind: 'sent', email: toRecord(existing) };
    const now = new Date();
    if (existing.leaseUntil > now) return { kind: 'busy', leaseUntil: existing.leaseUntil };
    // Rare (a lease ran out): the conditional update keeps two takers apart where
    // the server makes findAndModify atomic (MongoDB; FerretDB v1 does not).
    const taken = await collection.findOneAndUpdate(
      { _id: key, status: 'sending', leaseUntil: { $lte: now } },
      { $set: { leaseUntil: new Date(now.getTime() + leaseMs) }, $inc: { attempts: 1 } },
      { returnDocument: 'after', includeResultMetadata: false },
    );
    if (taken) return { kind: 'claimed', email: toRecord(taken) };
    return claimExisting(key, leaseMs);
  }

  return {
    async ensureIndexes() {
      await Emails.createIndexes();
    },

    /**
     * Takes ownership of the email for `draft.idempotencyKey` for `leaseMs`: by
     * inserting it, or by taking over a claim whose lease ran out (its owner
     * crashed or gave up). The stored rendering wins over `draft` on takeover.
     */
    async claim(draft: EmailDraft, leaseMs: number): Promise<ClaimResult> {
      const now = new Date();
      const doc: EmailDoc = {
        _id: draft.idempotencyKey,
        ...draft,
        status: 'sending',
        leaseUntil: new Date(now.getTime() + leaseMs),
        attempts: 1,
        createdAt: now,
      };
      if (await insert(doc)) return { kind: 'claimed', email: toRecord(doc) };
      return claimExisting(draft.idempotencyKey, leaseMs);
    },

    claimExisting,

    /**
     * Stores an email that is already delivered (its transport only renders), in
     * one write. False when the key is stored already: nothing was written.
     */
    recordSent(draft: EmailDraft, messageId: string, sentAt: Date): Promise<boolean> {
      return insert({ _id: draft.idempotencyKey, ...draft, messageId, status: 'sent', leaseUntil: sentAt, attempts: 1, createdAt: sentAt, sentAt });
    },

    // By `_id` alone (see above). Unconditional: a record another attempt marked
    // sent meanwhile only gets this attempt's sentAt, and a released lease on a
    // sent record is never looked at.
    async markSent(key: string, messageId: string, sentAt: Date): Promise<void> {
      await collection.updateOne({ _id: key }, { $set: { status: 'sent', messageId, sentAt } });
    },

    /** Ends a failed attempt's lease so the next retry need not wait for it to expire. */
    async releaseClaim(key: string): Promise<void> {
      await collection.updateOne({ _id: key }, { $set: { leaseUntil: new Date(0) } });
    },

    /** A fan's sent emails, newest first. */
    async listSent(userId: string, page: { limit: number; offset: number }): Promise<EmailRecord[]> {
      const docs = await Emails.find({ userId, status: 'sent' }).sort({ sentAt: -1, _id: -1 }).skip(page.offset).limit(page.limit).lean<EmailDoc[]>();
      return docs.map(toRecord);
    },
  };
}

export type EmailRepository = ReturnType<typeof createEmailRepository>;
