import type { AdmittedLineStatus, Booking, LineStatus, SubmissionAnswer } from '../../support/api-types.js';
import { finalAnswerOf, tally } from '../../support/bookings.js';
import { createConcert, mintFans, type Fan } from '../../support/fans.js';
import type { TestPlatform } from '../../support/test-platform.js';

const book = (platform: TestPlatform, fan: Fan, concertId: string, seatTypeId: string, headers: Record<string, string> = {}) =>
  platform.api.post<SubmissionAnswer>('/api/v1/bookings', { concertId, seatTypeId }, fan.token, { prefer: 'wait=30', ...headers });

/** Polls with a deadline (no fixed sleeps as synchronisation). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Waits until every process that labels series by concert has labelled this one (a
 * `concert_info` series for it), as it has long before a real on-sale: a concert is
 * announced days ahead. A concert first seen mid-burst gets its series born holding part
 * of the burst, and a 1-minute rate() of a series born with its count sees no increase.
 */
export async function announced(platform: TestPlatform, concertId: string) {
  await eventually(`every process labelled concert ${concertId}`, async () => {
    for (const [, port] of platform.ports) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
      if (text.includes('concert_info{') && !text.includes(`concert_info{concert="${concertId}"`)) return false;
    }
    return true;
  });
}

/**
 * A small on-sale that touches every metric the dashboards show: fans racing for
 * two seat types (confirmed and sold_out), one fan submitting several times at
 * once (already_booked), fans going through a waiting room with their admission
 * tokens, fans too late for the sold-out floor (refused before the queue), and a
 * cancellation (a second kind of email).
 */
export async function bookingBurst(platform: TestPlatform, admin: string, size = { fans: 40, seats: 12 }) {
  const concert = await createConcert(platform, admin, {
    seatTypes: [
      { name: 'Floor', capacity: size.seats },
      { name: 'Balcony', capacity: Math.ceil(size.seats / 2) },
    ],
  });
  await announced(platform, concert.id);
  const [floor, balcony] = concert.seatTypes;
  const fans = mintFans(platform, size.fans);
  const [eager] = mintFans(platform, 1);
  const responses = await Promise.all([
    ...fans.map((fan, i) => book(platform, fan, concert.id, (i % 2 ? balcony : floor).id)),
    ...Array.from({ length: 4 }, () => book(platform, eager, concert.id, floor.id)),
  ]);
  const answers = responses.map(finalAnswerOf);
  // Fans who come after the sell-out are refused before the queue: those refusals must be counted too.
  const late = await Promise.all(mintFans(platform, 3).map((fan) => book(platform, fan, concert.id, floor.id)));
  answers.push(...late.map(finalAnswerOf));

  const lined = await createConcert(platform, admin, { seatTypes: [{ name: 'Standing', capacity: 20 }], waitingRoom: { enabled: true, admitPerSecond: 50 } });
  await announced(platform, lined.id);
  const lineFans = mintFans(platform, 6);
  for (const fan of lineFans) {
    const joined = await platform.api.post(`/api/v1/waiting-room/${lined.id}/join`, undefined, fan.token);
    if (joined.status !== 200) throw new Error(`join: ${joined.status} ${JSON.stringify(joined.body)}`);
  }
  for (const fan of lineFans) {
    const admitted = await eventually(`fan ${fan.id} admitted`, async () => {
      const res = await platform.api.get<LineStatus>(`/api/v1/waiting-room/${lined.id}/status`, fan.token);
      return res.status === 200 && res.body.status === 'admitted' ? (res.body as AdmittedLineStatus) : undefined;
    });
    answers.push(finalAnswerOf(await book(platform, fan, lined.id, lined.seatTypes[0].id, { 'x-admission-token': admitted.admissionToken })));
  }

  const confirmedFan = fans.findIndex((_, i) => responses[i].status === 201);
  if (confirmedFan < 0) throw new Error(`no booking confirmed: ${JSON.stringify(tally(answers))}`);
  const cancelled = await platform.api.delete(`/api/v1/bookings/${(responses[confirmedFan].body as Booking).id}`, fans[confirmedFan].token);
  if (cancelled.status !== 200) throw new Error(`cancel: ${cancelled.status} ${JSON.stringify(cancelled.body)}`);
  return { concertId: concert.id, linedConcertId: lined.id, tally: tally(answers) };
}
