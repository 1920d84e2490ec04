import { Schema, type Connection } from 'mongoose';
import { isDuplicateKeyError } from '../../lib/mongo.js';

export type Role = 'fan' | 'admin';

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
  createdAt: Date;
}

interface UserDoc {
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
  createdAt: Date;
}

const userSchema = new Schema<UserDoc>(
  {
    email: { type: String, required: true },
    name: { type: String, required: true },
    role: { type: String, enum: ['fan', 'admin'], required: true },
    passwordHash: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'users' },
);
// Uniqueness lives in the index, not in a check-then-insert.
userSchema.index({ email: 1 }, { unique: true });

export class EmailTakenError extends Error {}

export function createUserRepository(conn: Connection) {
  const Users = conn.model<UserDoc>('User', userSchema);
  const toRecord = (doc: UserDoc & { _id: unknown }): UserRecord => ({
    id: String(doc._id),
    email: doc.email,
    name: doc.name,
    role: doc.role,
    passwordHash: doc.passwordHash,
    createdAt: doc.createdAt,
  });

  return {
    async ensureIndexes() {
      await Users.createIndexes();
    },
    /** Inserts a user; throws EmailTakenError when the unique index refuses the email. */
    async insert(user: Omit<UserDoc, 'createdAt'>): Promise<UserRecord> {
      try {
        const doc = await Users.create({ ...user, createdAt: new Date() });
        return toRecord(doc.toObject());
      } catch (err) {
        if (isDuplicateKeyError(err)) throw new EmailTakenError();
        throw err;
      }
    },
    async findByEmail(email: string): Promise<UserRecord | null> {
      const doc = await Users.findOne({ email }).lean();
      return doc ? toRecord(doc) : null;
    },
    /** Deletes the user; false when there was none. */
    async deleteById(id: string): Promise<boolean> {
      if (!/^[a-f0-9]{24}$/.test(id)) return false;
      return (await Users.deleteOne({ _id: id })).deletedCount === 1;
    },
    /** Replaces the user's password hash (and role, when given); false when there was no such user. */
    async update(id: string, changes: { passwordHash: string; role?: Role }): Promise<boolean> {
      if (!/^[a-f0-9]{24}$/.test(id)) return false;
      return (await Users.updateOne({ _id: id }, { $set: changes })).matchedCount === 1;
    },
    /** Every admin account except `email`'s becomes a fan; returns the accounts demoted. */
    async demoteAdminsExcept(email: string): Promise<UserRecord[]> {
      // Few admins; filtered here (the connection sanitises query operators out of filters).
      const stale = (await Users.find({ role: 'admin' }).lean()).map(toRecord).filter((u) => u.email !== email);
      for (const user of stale) await Users.updateOne({ _id: user.id, role: 'admin' }, { $set: { role: 'fan' } });
      return stale;
    },
    async findById(id: string): Promise<UserRecord | null> {
      if (!/^[a-f0-9]{24}$/.test(id)) return null;
      const doc = await Users.findById(id).lean();
      return doc ? toRecord(doc) : null;
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;
