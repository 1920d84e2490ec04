import { Router } from 'express';
import { type AccessTokenVerifier, noStore, requireUser } from '../../lib/auth-middleware.js';
import { rateLimitKeyOfIp } from '../../lib/client-ip.js';
import { parseOrThrow } from '../../lib/validation.js';
import type { AuthService } from './auth.service.js';
import { changePasswordBody, deleteAccountBody, loginBody, refreshBody, registerBody } from './auth.schemas.js';

export function authRoutes(auth: AuthService, tokens: AccessTokenVerifier): Router {
  const router = Router();
  const user = requireUser(tokens);

  router.post('/register', noStore, async (req, res) => {
    res.status(201).json(await auth.register(parseOrThrow(registerBody, req.body), rateLimitKeyOfIp(req.ip ?? '')));
  });
  router.post('/login', noStore, async (req, res) => {
    res.json(await auth.login(parseOrThrow(loginBody, req.body), rateLimitKeyOfIp(req.ip ?? '')));
  });
  router.post('/refresh', noStore, async (req, res) => {
    res.json(await auth.refresh(parseOrThrow(refreshBody, req.body).refreshToken));
  });
  router.post('/logout', user, async (req, res) => {
    await auth.logout(req.user!.id);
    res.status(204).end();
  });
  router.post('/change-password', user, async (req, res) => {
    await auth.changePassword(req.user!, parseOrThrow(changePasswordBody, req.body));
    res.status(204).end();
  });
  router.get('/profile', user, async (req, res) => {
    res.json(await auth.profile(req.user!.id));
  });
  router.delete('/me', user, async (req, res) => {
    await auth.deleteAccount(req.user!, parseOrThrow(deleteAccountBody, req.body).password);
    res.status(204).end();
  });
  return router;
}
