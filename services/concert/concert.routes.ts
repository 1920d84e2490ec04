import { Router } from 'express';
import { type AccessTokenVerifier, requireAdmin, requireUser } from '../../lib/auth-middleware.js';
import { parseOrThrow } from '../../lib/validation.js';
import { createConcertBody, listConcertsQuery, seatTypeBody } from './concert.schemas.js';
import type { ConcertService } from './concert.service.js';

export function concertRoutes(concerts: ConcertService, tokens: AccessTokenVerifier): Router {
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
  return router;
}
