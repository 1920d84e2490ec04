import { Router } from 'express';
import { type AccessTokenVerifier, requireAdmin, requireUser } from '../../lib/auth-middleware.js';
import { pagination, parseOrThrow } from '../../lib/validation.js';
import { concertBookingsQuery, idempotencyKeyHeader, parsePreferWait, submitBookingBody } from './booking.schemas.js';
import type { BookingService } from './booking.service.js';
import { csvHeader, csvRow } from './bookings-csv.js';
import type { ConcertBookings } from './concert-bookings.js';

export function bookingRoutes(bookings: BookingService, byConcert: ConcertBookings, tokens: AccessTokenVerifier): Router {
  const router = Router();
  router.use(requireUser(tokens));

  router.post('/', async (req, res) => {
    const body = parseOrThrow(submitBookingBody, req.body);
    const idempotencyKey = parseOrThrow(idempotencyKeyHeader, req.get('idempotency-key'), 'headers');
    const waitSeconds = parsePreferWait(req.get('prefer'));
    const admissionToken = req.get('x-admission-token')?.trim() || undefined;
    const answer = await bookings.submit(req.user!, body, { idempotencyKey, waitSeconds, admissionToken });
    if (waitSeconds) res.setHeader('Preference-Applied', `wait=${waitSeconds}`);
    if (answer.status === 202) res.setHeader('Location', `/api/v1/bookings/requests/${answer.body.requestId}`);
    res.status(answer.status).json(answer.body);
  });
  router.get('/requests/:requestId', async (req, res) => {
    res.json(await bookings.requestStatus(req.user!, String(req.params.requestId)));
  });
  router.get('/my-bookings', async (req, res) => {
    const page = parseOrThrow(pagination, req.query, 'query');
    res.json(await bookings.mine(req.user!, page.limit, page.offset));
  });
  router.get('/by-concert/:concertId', requireAdmin, async (req, res) => {
    const concertId = String(req.params.concertId).toLowerCase();
    const { format, limit, cursor, ...filter } = parseOrThrow(concertBookingsQuery, req.query, 'query');
    if (format === 'json') return void res.json(await byConcert.list(concertId, filter, limit, cursor));
    await byConcert.requireConcert(concertId);
    res.status(200).type('text/csv; charset=utf-8').attachment(`bookings-${concertId}.csv`);
    res.write(csvHeader());
    for await (const booking of byConcert.all(concertId, filter)) res.write(csvRow(booking));
    res.end();
  });
  router.get('/:id', async (req, res) => {
    res.json(await bookings.get(req.user!, String(req.params.id)));
  });
  router.delete('/:id', async (req, res) => {
    res.json(await bookings.cancel(req.user!, String(req.params.id)));
  });
  return router;
}
