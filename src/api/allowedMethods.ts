// Which methods a path is served with, learned from the routes as they are added: a request for a
// known path with another method is answered 405 with an Allow header, not 404 (Fastify's router
// only tells whether a method and a path match a route together).
import type { FastifyInstance } from 'fastify';

/** The methods a path (without its query) is served with, in a stable order; none: no such path. */
export type AllowedMethods = (path: string) => readonly string[];

const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

interface PathRoutes {
  readonly pattern: RegExp;
  readonly methods: Set<string>;
}

/** Call before any route is added; `ignoreTrailingSlash`: as the router was told. */
export function learnAllowedMethods(app: FastifyInstance, ignoreTrailingSlash: boolean): AllowedMethods {
  const byUrl = new Map<string, PathRoutes>();
  app.addHook('onRoute', (route) => {
    let entry = byUrl.get(route.url);
    if (!entry) {
      entry = { pattern: patternOf(route.url), methods: new Set() };
      byUrl.set(route.url, entry);
    }
    for (const method of [route.method].flat()) {
      entry.methods.add(method);
      // Fastify answers HEAD on every GET route.
      if (method === 'GET') entry.methods.add('HEAD');
    }
  });
  return (path) => {
    const wanted = ignoreTrailingSlash && path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const methods = new Set<string>();
    for (const { pattern, methods: served } of byUrl.values()) if (pattern.test(wanted)) for (const method of served) methods.add(method);
    return [...methods].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  };
}

const rank = (method: string): number => (ORDER.includes(method) ? ORDER.indexOf(method) : ORDER.length);

/** `/processes/:id/logs` as a regular expression: a parameter is one non-empty segment, `*` the rest. */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}
