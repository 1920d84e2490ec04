import { Router } from 'express';
import { type AccessTokenVerifier, requireAdmin, requireUser } from '../../lib/auth-middleware.js';
import { parseOrThrow } from '../../lib/validation.js';
import type { AuthenticatedUser } from '../../lib/request-context.js';
import type { ConcertOperations } from './concert-operations.js';
import { addCapacityBody, auditQuery, createConcertBody, listConcertsQuery, seatTypeBody, updateConcertBody } from './concert.schemas.js';
import type { ConcertService } from './concert.service.js';

const actorOf = (user: AuthenticatedUser) => ({ userId: user.id, email: user.email });

export function concertRoutes(concerts: ConcertService, operations: ConcertOperations, tokens: AccessTokenVerifier): Router {
  const router = Router();
  const admin = [requireUser(tokens), requireAdmin];

  router.get('/', async (req, res) => {
    const q = parseOrThrow(listConcertsQuery, req.query, 'query');
    res.json(await concerts.list(q.when, q.limit, q.offset));
  });
  router.post('/', ...admin, async (req, res) => {
    const concert = await concerts.create(parseOrThrow(createConcertBody, req.body));
    res.status(201).location(`/api/v1/concerts/${concert.id}`).json(concert);
  });
  router.get('/:id', async (req, res) => {
    res.json(await concerts.get(req.params.id));
  });
  router.get('/:id/seat-types', async (req, res) => {
    res.json(await concerts.seatTypes(req.params.id));
  });
  router.get('/:id/seat-types/:seatTypeId', async (req, res) => {
    res.json(await concerts.seatType(req.params.id, String(req.params.seatTypeId)));
  });
  router.post('/:id/seat-types', ...admin, async (req, res) => {
    res.status(201).json(await concerts.addSeatType(String(req.params.id), parseOrThrow(seatTypeBody, req.body)));
  });

  // The operator's side (CONTRACT.md): every change is audited by ConcertOperations.
  router.patch('/:id', ...admin, async (req, res) => {
    res.json(await operations.update(String(req.params.id), parseOrThrow(updateConcertBody, req.body), actorOf(req.user!)));
  });
  router.post('/:id/seat-types/:seatTypeId/capacity', ...admin, async (req, res) => {
    const { add } = parseOrThrow(addCapacityBody, req.body);
    res.json(await operations.addCapacity(String(req.params.id), String(req.params.seatTypeId), add, actorOf(req.user!)));
  });
  router.post('/:id/seat-types/:seatTypeId/close', ...admin, async (req, res) => {
    res.json(await operations.closeSeatType(String(req.params.id), String(req.params.seatTypeId), actorOf(req.user!)));
  });
  router.post('/:id/close-sales', ...admin, async (req, res) => {
    res.json(await operations.closeSales(String(req.params.id), actorOf(req.user!)));
  });
  router.get('/:id/stats', ...admin, async (req, res) => {
    res.json(await operations.stats(String(req.params.id)));
  });
  router.get('/:id/audit', ...admin, async (req, res) => {
    const { limit } = parseOrThrow(auditQuery, req.query, 'query');
    res.json(await operations.auditLog(String(req.params.id), limit));
  });
  return router;
}
