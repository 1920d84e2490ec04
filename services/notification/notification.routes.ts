import { Router } from 'express';
import { requireUser } from '../../lib/auth-middleware.js';
import { pagination, parseOrThrow } from '../../lib/validation.js';
import type { NotificationService } from './notification.service.js';

export function notificationRoutes(notifications: NotificationService, publicKey: string): Router {
  const router = Router();
  router.get('/', requireUser(publicKey), async (req, res) => {
    res.json(await notifications.listForUser(req.user!.id, parseOrThrow(pagination, req.query, 'query')));
  });
  return router;
}
