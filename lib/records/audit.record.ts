import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * The audit log: one insert-only entry per operator change to a live sale (concert
 * edits, capacity, closing, line controls). Any service that applies such a change
 * writes it; the Concert service reads it back for the console.
 */
export interface AuditEntryDoc {
  _id: Types.ObjectId;
  concertId: Types.ObjectId;
  /** Who: the admin's user id and email as the access token named them. */
  actor: { userId: string; email: string };
  /** What, as a short dotted verb: `concert.update`, `line.pause`, `seat-type.capacity.add`… */
  action: string;
  /** The change itself (new values, amounts); small and JSON-shaped. */
  details: Record<string, unknown>;
  at: Date;
}

const auditEntrySchema = new Schema<AuditEntryDoc>(
  {
    concertId: { type: Schema.Types.ObjectId, required: true },
    actor: { userId: { type: String, required: true }, email: { type: String, required: true } },
    action: { type: String, required: true },
    details: { type: Schema.Types.Mixed, default: {} },
    at: { type: Date, required: true },
  },
  { versionKey: false, collection: 'audit_log', minimize: false },
);
auditEntrySchema.index({ concertId: 1, at: -1 });

export function auditEntryModel(conn: Connection) {
  return (conn.models.AuditEntry as Model<AuditEntryDoc> | undefined) ?? conn.model<AuditEntryDoc>('AuditEntry', auditEntrySchema);
}
