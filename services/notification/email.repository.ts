import mongoose, { Schema, type Connection } from 'mongoose';
import { NOTIFICATION_JOBS, type NotificationJobName } from '../../lib/queues.js';
import { isDuplicateKeyError } from '../../lib/mongo.js';

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

type EmailDoc = Omit<EmailRecord, 'id'>;
export type EmailDraft = Omit<EmailDoc, 'status' | 'leaseUntil' | 'attempts' | 'createdAt' | 'sentAt'>;

const emailSchema = new Schema<EmailDoc>(
  {
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
// One email per booking event, whoever asks and however often: the index decides, not a lookup.
emailSchema.index({ idempotencyKey: 1 }, { unique: true });
emailSchema.index({ userId: 1, status: 1, sentAt: -1 });

/** What a claim found: ours to send, already sent, or owned by a live attempt until `leaseUntil`. */
export type ClaimResult = { kind: 'claimed'; email: EmailRecord } | { kind: 'sent'; email: EmailRecord } | { kind: 'busy'; leaseUntil: Date };

export const idempotencyKey = (event: NotificationJobName, bookingId: string) => `${event}:${bookingId}`;

export function createEmailRepository(conn: Connection) {
  const Emails = conn.model<EmailDoc>('Email', emailSchema);
  const toRecord = (doc: EmailDoc & { _id: unknown }): EmailRecord => {
    const { _id, ...rest } = doc;
    return { id: String(_id), ...rest };
  };

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
      const leaseUntil = new Date(now.getTime() + leaseMs);
      try {
        const doc = await Emails.create({ ...draft, status: 'sending', leaseUntil, attempts: 1, createdAt: now });
        return { kind: 'claimed', email: toRecord(doc.toObject()) };
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
      const taken = await Emails.findOneAndUpdate(
        { idempotencyKey: draft.idempotencyKey, status: 'sending', leaseUntil: mongoose.trusted({ $lte: now }) },
        { $set: { leaseUntil }, $inc: { attempts: 1 } },
        { new: true },
      ).lean();
      if (taken) return { kind: 'claimed', email: toRecord(taken) };
      const existing = await Emails.findOne({ idempotencyKey: draft.idempotencyKey }).lean();
      if (!existing) throw new Error(`email ${draft.idempotencyKey} vanished while being claimed`);
      if (existing.status === 'sent') return { kind: 'sent', email: toRecord(existing) };
      return { kind: 'busy', leaseUntil: existing.leaseUntil };
    },

    async markSent(key: string, messageId: string, sentAt: Date): Promise<void> {
      await Emails.updateOne({ idempotencyKey: key, status: 'sending' }, { $set: { status: 'sent', messageId, sentAt } });
    },

    /** Ends a failed attempt's lease so the next retry need not wait for it to expire. */
    async releaseClaim(key: string): Promise<void> {
      await Emails.updateOne({ idempotencyKey: key, status: 'sending' }, { $set: { leaseUntil: new Date(0) } });
    },

    /** A fan's sent emails, newest first. */
    async listSent(userId: string, page: { limit: number; offset: number }): Promise<EmailRecord[]> {
      const docs = await Emails.find({ userId, status: 'sent' }).sort({ sentAt: -1, _id: -1 }).skip(page.offset).limit(page.limit).lean();
      return docs.map(toRecord);
    },
  };
}

export type EmailRepository = ReturnType<typeof createEmailRepository>;
