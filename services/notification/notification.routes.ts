import { Router } from 'express';
import { type AccessTokenVerifier, requireUser } from '../../lib/auth-middleware.js';
import { pagination, parseOrThrow } from '../../lib/validation.js';
import type { NotificationService } from './notification.service.js';

export function notificationRoutes(notifications: NotificationService, tokens: AccessTokenVerifier): Router {
  const router = Router();
  router.get('/', requireUser(tokens), async (req, res) => {
    res.json(await notifications.listForUser(req.user!.id, parseOrThrow(pagination, req.query, 'query')));
  });
  return router;
}
