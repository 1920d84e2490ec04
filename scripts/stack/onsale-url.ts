/**
 * Where the platform is, for every tool that talks to a running one (`npm run seed`,
 * `npm run load`, the Postman environment, the docs' examples): ONSALE_URL, or else
 * the gateway `npm start` runs on PORT (default 3000) on this machine.
 */
export const DEFAULT_GATEWAY_PORT = 3000;

export function onsaleUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env.ONSALE_URL || `http://localhost:${env.PORT || DEFAULT_GATEWAY_PORT}`).replace(/\/+$/, '');
}
