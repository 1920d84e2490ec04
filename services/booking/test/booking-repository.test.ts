/**
 * Decisions recorded before ticket references (issue 18) get one when the booking
 * service builds its indexes: FerretDB v1 ignores `sparse`, so two documents
 * without a ticketRef would make the unique index fail.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Types } from 'mongoose';
import { ACTIVE_FAN_KEY, activeSeatKey, bookingModel, rejectionDoc } from '../../../lib/records/booking.record.js';
import { databaseName, newId, startStores, type TestStores } from '../../../test/support/stores.js';
import { createBookingRepository } from '../booking.repository.js';

let stores: TestStores;
before(async () => {
  stores = await startStores('booking-repository');
});
after(async () => {
  await stores?.stop();
});

test('ensureIndexes gives every decision recorded without a ticket reference one, then the unique index holds', async () => {
  const conn = await stores.database(databaseName('backfill'));
  const bookings = bookingModel(conn);
  await bookings.collection.dropIndex('one_booking_per_ticket');
  const concertId = newId();
  const seatTypeId = newId();
  const legacy = [1, 2].map((seatNo) => ({
    _id: new Types.ObjectId(),
    concertId,
    seatTypeId,
    seatTypeName: 'Floor',
    seatNo,
    price: 10,
    userId: newId(),
    userEmail: 'fan@test.local',
    status: 'confirmed',
    fanKey: ACTIVE_FAN_KEY,
    seatKey: activeSeatKey(seatTypeId, seatNo),
    createdAt: new Date(),
  }));
  const legacyRejection: Partial<ReturnType<typeof rejectionDoc>> = rejectionDoc(
    { requestId: newId(), concertId, seatTypeId, userId: newId(), userEmail: 'late@test.local' },
    'sold_out',
    new Date(),
  );
  delete legacyRejection.ticketRef;
  await bookings.collection.insertMany([...legacy, legacyRejection]);

  await createBookingRepository(conn).ensureIndexes();
  const refs = new Map((await bookings.find().lean()).map((doc) => [String(doc._id), doc.ticketRef]));
  for (const doc of legacy) assert.equal(Buffer.from(refs.get(String(doc._id)) ?? '', 'base64url').length, 16, 'a booking gets 128 random bits');
  assert.equal(refs.get(String(legacyRejection._id)), String(legacyRejection._id), 'a rejection keeps its own id');
  assert.ok((await bookings.collection.indexes()).some((index) => index.name === 'one_booking_per_ticket' && index.unique));
  // Running it again (another replica, a restart) changes nothing.
  await createBookingRepository(conn).ensureIndexes();
  assert.deepEqual(new Map((await bookings.find().lean()).map((doc) => [String(doc._id), doc.ticketRef])), refs);
});
