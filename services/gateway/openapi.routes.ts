import { readFileSync } from 'node:fs';
import { Router } from 'express';
import { buildOpenApiDocument } from './openapi-document.js';

const page = (file: string) => readFileSync(new URL(`./docs-page/${file}`, import.meta.url), 'utf8');

/**
 * `/api/openapi.json` (the document, generated at start from the components'
 * operations and zod schemas, openapi-document.ts) and `/api/docs` (a reader for
 * it, docs-page/). The reader is our own small page rather than Swagger UI or
 * Redoc from a CDN: it works on an offline install and under helmet's default
 * Content-Security-Policy (scripts from 'self' only).
 */
export function openApiRoutes(): Router {
  const document = JSON.stringify(buildOpenApiDocument());
  const html = page('index.html');
  const viewer = page('viewer.js');
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(document);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(html);
  });
  router.get('/docs/viewer.js', (_req, res) => {
    res.type('text/javascript').send(viewer);
  });
  return router;
}
