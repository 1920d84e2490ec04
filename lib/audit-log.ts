import { Types, type Connection } from 'mongoose';
import { auditEntryModel, type AuditEntryDoc } from './records/audit.record.js';

export interface AuditActor {
  userId: string;
  email: string;
}

export interface AuditEntry {
  id: string;
  concertId: string;
  actor: AuditActor;
  action: string;
  details: Record<string, unknown>;
  at: string;
}

const toEntry = (doc: AuditEntryDoc): AuditEntry => ({
  id: doc._id.toHexString(),
  concertId: doc.concertId.toHexString(),
  actor: { userId: doc.actor.userId, email: doc.actor.email },
  action: doc.action,
  details: doc.details,
  at: doc.at.toISOString(),
});

/**
 * Who changed what in a sale, and when. Written after the change took effect, so an
 * entry never claims a change that did not happen; read newest first.
 */
export function createAuditLog(conn: Connection) {
  const entries = auditEntryModel(conn);
  return {
    async ensureIndexes() {
      await entries.createIndexes();
    },

    async record(concertId: string, actor: AuditActor, action: string, details: Record<string, unknown> = {}): Promise<AuditEntry> {
      const [doc] = await entries.insertMany([{ concertId: new Types.ObjectId(concertId), actor, action, details, at: new Date() }]);
      return toEntry(doc.toObject());
    },

    /** The newest `limit` entries of a concert, newest first. */
    async list(concertId: string, limit = 100): Promise<AuditEntry[]> {
      const docs = await entries
        .find({ concertId: new Types.ObjectId(concertId) })
        .sort({ at: -1, _id: -1 })
        .limit(limit)
        .lean<AuditEntryDoc[]>();
      return docs.map(toEntry);
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
