import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { type AccessTokenVerifier, requireAdmin, requireUser } from '../../lib/auth-middleware.js';
import { parseOrThrow } from '../../lib/validation.js';
import { chartsQuery, type ConsoleCharts } from './console-charts.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CONSOLE_DIR = path.join(HERE, 'console');
const UPLOT_DIR = path.join(HERE, '..', '..', 'node_modules', 'uplot', 'dist');

/** The operator console: static HTML, CSS and JS plus uPlot from node_modules, no build step. The page signs in itself. */
export function consolePageRoutes(): Router {
  const router = Router();
  router.get('/assets/uPlot.iife.min.js', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.sendFile(path.join(UPLOT_DIR, 'uPlot.iife.min.js'));
  });
  router.get('/assets/uPlot.min.css', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.sendFile(path.join(UPLOT_DIR, 'uPlot.min.css'));
  });
  router.use('/assets', express.static(CONSOLE_DIR, { index: false, maxAge: '5m' }));
  router.get('/', (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(path.join(CONSOLE_DIR, 'index.html'));
  });
  return router;
}

/** GET /api/v1/admin/charts: admin only. */
export function consoleApiRoutes(charts: ConsoleCharts, tokens: AccessTokenVerifier): Router {
  const router = Router();
  router.use(requireUser(tokens), requireAdmin);
  router.get('/charts', async (req, res) => {
    const q = parseOrThrow(chartsQuery, req.query, 'query');
    res.setHeader('Cache-Control', 'no-store');
    res.json(await charts.charts(q.concertId, q.minutes));
  });
  return router;
}
