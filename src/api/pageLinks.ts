// Lists read a page at a time: `limit` items, then `after` the last one; while more follow, the
// answer's Link header (RFC 8288) names the next page: this request's own path and query, with
// `after` moved on.
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The next page's URL, relative to the server: the request's path, its query with `after` set. */
export function nextPageUrl(requestUrl: string, after: number): string {
  const [path = '', query = ''] = requestUrl.split('?', 2);
  const params = new URLSearchParams(query);
  params.set('after', String(after));
  return `${path}?${params.toString()}`;
}

/**
 * The first `limit` of `items` (read with at least one more than a page, to know whether another
 * follows), with a Link header to the next page when one does.
 */
export function pageOf<T>(request: FastifyRequest, reply: FastifyReply, items: readonly T[], limit: number, idOf: (item: T) => number): T[] {
  const page = items.slice(0, limit);
  const last = page.at(-1);
  if (items.length > limit && last !== undefined) reply.header('Link', `<${nextPageUrl(request.url, idOf(last))}>; rel="next"`);
  return page;
}

/** The Link header as the document declares it on a list's 200. */
export const LINK_HEADER = {
  Link: { type: 'string', description: 'While more follow this page: `<url>; rel="next"`, the same request with `after` set to the last item of this one.' },
} as const;
