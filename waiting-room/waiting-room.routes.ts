import { fileURLToPath } from 'node:url';
import path from 'node:path';
import express, { Router } from 'express';
import { type AccessTokenVerifier, requireAdmin, requireUser } from '../lib/auth-middleware.js';
import { rateLimitKeyOfIp } from '../lib/client-ip.js';
import { AppError } from '../lib/errors.js';
import { objectIdString, parseOrThrow } from '../lib/validation.js';
import type { LineControlsService } from './line-controls.js';
import type { WaitingRoomService } from './waiting-room.service.js';
import { lineSettingsBody, noBody } from './waiting-room.schemas.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PUBLIC_DIR = path.join(HERE, 'public');
const SOCKET_IO_CLIENT = path.join(HERE, '..', 'node_modules', 'socket.io-client', 'dist', 'socket.io.min.js');

/** Path ids that are not object ids are unknown concerts, never cast errors. */
function concertIdOf(raw: unknown): string {
  const parsed = objectIdString.safeParse(raw);
  if (!parsed.success) throw new AppError('not_found', 'No such concert');
  return parsed.data;
}

/** REST: join and status (ARCHITECTURE.md section 3), and the operator's controls (admins, CONTRACT.md). */
export function waitingRoomRoutes(service: WaitingRoomService, controls: LineControlsService, tokens: AccessTokenVerifier): Router {
  const router = Router();
  router.use(requireUser(tokens));
  const actorOf = (req: express.Request) => ({ userId: req.user!.id, email: req.user!.email });
  for (const action of ['pause', 'resume', 'drain'] as const) {
    router.post(`/:concertId/${action}`, requireAdmin, async (req, res) => {
      const concertId = concertIdOf(req.params.concertId);
      parseOrThrow(noBody, req.body);
      res.json(await controls[action](actorOf(req), concertId));
    });
  }
  router.patch('/:concertId/settings', requireAdmin, async (req, res) => {
    const concertId = concertIdOf(req.params.concertId);
    res.json(await controls.settings(actorOf(req), concertId, parseOrThrow(lineSettingsBody, req.body)));
  });
  router.get('/:concertId/stats', requireAdmin, async (req, res) => {
    res.json(await controls.stats(concertIdOf(req.params.concertId)));
  });
  router.post('/:concertId/join', async (req, res) => {
    res.json(await service.join(req.user!.id, concertIdOf(req.params.concertId), rateLimitKeyOfIp(req.ip ?? '')));
  });
  router.get('/:concertId/status', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await service.status(req.user!.id, concertIdOf(req.params.concertId)));
  });
  return router;
}

/** The fan-facing page: static HTML, CSS and JS plus the Socket.IO client, no build step. */
export function fanPageRoutes(): Router {
  const router = Router();
  router.get('/assets/socket.io.min.js', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.sendFile(SOCKET_IO_CLIENT);
  });
  router.use('/assets', express.static(PUBLIC_DIR, { index: false, maxAge: '5m' }));
  // Before /:concertId, which would answer 404 for it (not an id).
  router.get('/my-bookings', (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(path.join(PUBLIC_DIR, 'my-bookings.html'));
  });
  router.get('/:concertId', (req, res) => {
    concertIdOf(req.params.concertId);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(path.join(PUBLIC_DIR, 'index.html'));
  });
  return router;
}
