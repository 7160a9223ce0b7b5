// The web dashboard: static files built with the project (dist/web), served without a token
// (the page asks for it and sends it with each API call).
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { DASHBOARD_DIR } from '../builtFiles.js';


/** Scripts only from the daemon itself: a page that holds the node token runs nothing else. */
const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** The paths the dashboard serves ('/' and each file), or none when it was not built. */
export function dashboardPaths(): string[] {
  if (!existsSync(DASHBOARD_DIR)) return [];
  const files = readdirSync(DASHBOARD_DIR, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => `/${relative(DASHBOARD_DIR, join(entry.parentPath, entry.name)).split(sep).join('/')}`);
  return files.includes('/index.html') ? ['/', ...files] : files;
}

export async function registerDashboard(app: FastifyInstance): Promise<void> {
  if (!existsSync(DASHBOARD_DIR)) return;
  // wildcard: false serves exactly the files there at start, each on its own route.
  await app.register(fastifyStatic, {
    root: DASHBOARD_DIR,
    prefix: '/',
    wildcard: false,
    index: 'index.html',
    schemaHide: true,
    setHeaders: (reply) => {
      reply.headers(PAGE_HEADERS);
    },
  });
}
