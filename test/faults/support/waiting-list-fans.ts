import mongoose from 'mongoose';
import type { Fan } from '../../support/fans.js';
import { eventually } from '../../support/stores.js';
import type { TestPlatform } from '../../support/test-platform.js';

/** A fan's place on a waiting list, as GET /waiting-lists/:id/me answers (or `http <status>`). */
export interface Place {
  status: string;
  seatTypeId: string | null;
  position: number;
  ahead: number;
  offer?: { offerId: string; seatTypeId: string; expiresAt: string };
}

/** What the waiting-list fault scenarios do through the public API, for one concert's seat type. */
export function waitingListFans(platform: TestPlatform, concertId: string, seatTypeId: string) {
  const api = platform.api;
  return {
    book: (fan: Fan, offerId?: string) =>
      api.request<{ id: string; reason?: string; error?: { code: string } }>('POST', '/api/v1/bookings', {
        token: fan.token,
        body: { concertId, seatTypeId, ...(offerId ? { offerId } : {}) },
        headers: { prefer: 'wait=20' },
      }),
    /** Joins for this seat type, or for any. */
    join: (fan: Fan, choice: 'seat type' | 'any') =>
      api.request('PUT', `/api/v1/waiting-lists/${concertId}/me`, { token: fan.token, body: choice === 'any' ? {} : { seatTypeId } }),
    placeOf: async (fan: Fan): Promise<Place> => {
      const res = await api.get<Place>(`/api/v1/waiting-lists/${concertId}/me`, fan.token);
      return res.status === 200 ? res.body : { status: `http ${res.status}`, seatTypeId: null, position: -1, ahead: -1 };
    },
    cancel: (fan: Fan, bookingId: string) => api.delete(`/api/v1/bookings/${bookingId}`, fan.token),
    decline: (fan: Fan, offerId: string) => api.post(`/api/v1/waiting-lists/${concertId}/offers/${offerId}/decline`, undefined, fan.token),
    leave: (fan: Fan) => api.delete(`/api/v1/waiting-lists/${concertId}/me`, fan.token),
    /** Waits until the record holds `count` open offers of the concert (the announcer records them within a tick). */
    openOffersRecorded: async (count: number) => {
      const db = await mongoose.createConnection(platform.mongoUrl).asPromise();
      try {
        await eventually(
          `${count} open offers recorded`,
          async () => (await db.collection('waiting_list_offers').countDocuments({ concertId, status: 'open' })) === count,
          30_000,
        );
      } finally {
        await db.close();
      }
    },
  };
}
