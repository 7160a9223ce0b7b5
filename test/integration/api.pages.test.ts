// Lists read a page at a time: `limit`, then `after` the last item, as the Link header names it,
// through the real daemon: the pages together are the whole list, once each, in order; the last
// page has no Link; without `limit` GET /processes is still every process.
import { afterEach, describe, expect, it } from 'vitest';
import { expectError } from '../support/apiChecks.js';
import { cleanUpDaemons, SigmaDaemon, type Reply } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

/** The path of a Link header's rel="next", or null without one. */
function nextOf(reply: Reply): string | null {
  const link = reply.headers.link;
  if (link === undefined) return null;
  const match = /^<([^>]+)>; rel="next"$/.exec(String(link));
  expect(match, `Link: ${String(link)}`).not.toBeNull();
  return (match as RegExpExecArray)[1] as string;
}

/** Follows the Link headers from `first`: each page's items, in order. */
async function pagesFrom(daemon: SigmaDaemon, first: string, listOf: (reply: Reply) => number[]): Promise<number[][]> {
  const pages: number[][] = [];
  let path: string | null = first;
  while (path !== null) {
    const reply = await daemon.request('GET', path);
    expect(reply.status, `${path}: ${reply.text}`).toBe(200);
    pages.push(listOf(reply));
    path = nextOf(reply);
    expect(pages.length, 'pages followed').toBeLessThan(20);
  }
  return pages;
}

const idsOf = (key: string) => (reply: Reply) => (reply.body[key] as Array<{ id: number }>).map((item) => item.id);

describe('paged lists', () => {
  it('GET /processes: limit and after give every process once, by id, with a Link to each next page; without limit, all of them', async () => {
    const daemon = await SigmaDaemon.start();
    const ids: number[] = [];
    for (let index = 0; index < 7; index += 1) ids.push((await daemon.create({ name: `p${index}`, command: ['true'] })).body.processes[0].id);
    const whole = await daemon.request('GET', '/processes');
    expect(whole.headers.link, 'no Link without limit').toBeUndefined();
    expect(idsOf('processes')(whole)).toEqual(ids);
    expect(await pagesFrom(daemon, '/processes?limit=3', idsOf('processes'))).toEqual([ids.slice(0, 3), ids.slice(3, 6), ids.slice(6)]);
    // The filters are kept in each next page's link.
    const filtered = await daemon.request('GET', '/processes?type=ONE_SHOT&limit=2');
    expect(nextOf(filtered)).toBe(`/processes?type=ONE_SHOT&limit=2&after=${ids[1]}`);
    expect(idsOf('processes')(await daemon.request('GET', `/processes?after=${ids[4]}`))).toEqual(ids.slice(5));
    const exact = await daemon.request('GET', '/processes?limit=7');
    expect(exact.headers.link, 'the last page has no Link').toBeUndefined();
    expect(idsOf('processes')(exact)).toEqual(ids);
    for (const query of ['limit=0', 'limit=10001', 'limit=x', 'after=-1', 'after=1.5']) {
      expectError(await daemon.request('GET', `/processes?${query}`), 400, 'SIGMA_ERR_REQUEST_INVALID');
    }
  });

  it('GET /processes/{id}/runs and GET /audit: newest first, page after page', async () => {
    const daemon = await SigmaDaemon.start();
    const id = (await daemon.create({ name: 'short', command: ['true'] })).body.processes[0].id;
    for (let run = 0; run < 5; run += 1) {
      expect((await daemon.operate(id, 'START')).status).toBe(200);
      await waitFor(`run ${run + 1} to end`, () => daemon.process(id), (process) => process.state === 'DORMANT');
    }
    const runs = idsOf('runs')(await daemon.request('GET', `/processes/${id}/runs?limit=100`));
    expect(runs).toHaveLength(5);
    expect([...runs].sort((a, b) => b - a), 'newest first').toEqual(runs);
    expect(await pagesFrom(daemon, `/processes/${id}/runs?limit=2`, idsOf('runs'))).toEqual([runs.slice(0, 2), runs.slice(2, 4), runs.slice(4)]);
    const audit = idsOf('audit')(await daemon.request('GET', '/audit?limit=1000'));
    expect(audit.length).toBeGreaterThanOrEqual(6);
    const pages = await pagesFrom(daemon, '/audit?limit=4', idsOf('audit'));
    expect(pages.flat()).toEqual(audit);
    expect(pages.slice(0, -1).every((page) => page.length === 4)).toBe(true);
    expectError(await daemon.request('GET', `/processes/${id}/runs?after=0`), 400, 'SIGMA_ERR_REQUEST_INVALID');
    expectError(await daemon.request('GET', '/audit?after=x'), 400, 'SIGMA_ERR_REQUEST_INVALID');
  });
});
