import { Router } from 'express';
import { type AccessTokenVerifier, requireUser } from '../../../lib/auth-middleware.js';
import { parseOrThrow } from '../../../lib/validation.js';
import { joinWaitingListBody } from './waiting-list.schemas.js';
import type { WaitingListService } from './waiting-list.service.js';

/** `/api/v1/waiting-lists`: parses, authorises, delegates. */
export function waitingListRoutes(lists: WaitingListService, tokens: AccessTokenVerifier): Router {
  const router = Router();
  router.use(requireUser(tokens));
  router.put('/:concertId/me', async (req, res) => {
    const body = parseOrThrow(joinWaitingListBody, req.body);
    res.json(await lists.join(req.user!, String(req.params.concertId), body.seatTypeId));
  });
  router.get('/:concertId/me', async (req, res) => {
    res.json(await lists.status(req.user!, String(req.params.concertId)));
  });
  router.delete('/:concertId/me', async (req, res) => {
    await lists.leave(req.user!, String(req.params.concertId));
    res.status(204).end();
  });
  router.post('/:concertId/offers/:offerId/decline', async (req, res) => {
    await lists.decline(req.user!, String(req.params.concertId), String(req.params.offerId));
    res.status(204).end();
  });
  return router;
}
