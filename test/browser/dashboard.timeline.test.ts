// The schedule timeline, in Debian's Chromium against a real daemon: real PERIODIC processes, and
// what a user sees of them as they run: a row each with release ticks and job bars that keep
// coming, deadline misses in red, overruns marked, a summary a screen reader says, the window and
// the partition chosen, and no drawing while the panel is closed.
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';
import { closePagesAndDeleteProcesses, endBrowserAndDaemon, LAPTOP, launchChromium, logIn, openDashboard, operate, waitForState, waitForText } from './dashboardPage.js';

let daemon: SigmaDaemon;
let browser: Browser;
const pages: Page[] = [];
const problems: string[] = [];

async function open(): Promise<Page> {
  const page = await openDashboard(browser, daemon.url, LAPTOP, problems);
  pages.push(page);
  await logIn(page, daemon.token);
  return page;
}

async function created(definition: Record<string, unknown>): Promise<number> {
  const reply = await daemon.create(definition);
  expect(reply.status, reply.text).toBe(201);
  return reply.body.processes[0].id as number;
}

async function openTimeline(page: Page): Promise<void> {
  const toggle = page.getByRole('button', { name: 'Schedule timeline' });
  expect(await toggle.getAttribute('aria-expanded')).toBe('false');
  await toggle.click();
  expect(await toggle.getAttribute('aria-expanded')).toBe('true');
  // It is drawn while in view: at the foot of the page, it is scrolled to.
  await page.locator('#timeline-rows').scrollIntoViewIfNeeded();
}

/** A process's row of the timeline: the picture a screen reader reads by its summary. */
function pictureOf(page: Page, name: string): Locator {
  return page.getByRole('img', { name: new RegExp(`^${name}: `) });
}

interface Summary {
  releases: number;
  jobs: number;
  overruns: number;
  skipped: number;
  deadlineMisses: number;
  window: string;
}

const SUMMARY = /^[\w-]+: (\d+) releases?, (\d+) jobs?, (\d+) overruns?, (\d+) skipped, (\d+) deadline miss(?:es)? in the last ([\d.]+ s)$/;

async function summaryOf(page: Page, name: string): Promise<Summary | null> {
  const label = await pictureOf(page, name).getAttribute('aria-label', { timeout: 1000 }).catch(() => null);
  const match = label === null ? null : SUMMARY.exec(label);
  if (!match) return null;
  const [releases, jobs, overruns, skipped, deadlineMisses] = match.slice(1, 6).map(Number) as [number, number, number, number, number];
  return { releases, jobs, overruns, skipped, deadlineMisses, window: match[6] ?? '' };
}

async function waitForSummary(page: Page, name: string, what: string, accept: (summary: Summary) => boolean, timeoutMs = 15_000): Promise<Summary> {
  const summary = await waitFor(`${name}'s summary to show ${what}`, () => summaryOf(page, name), (found) => found !== null && accept(found), timeoutMs);
  return summary as Summary;
}

async function countOf(picture: Locator, selector: string): Promise<number> {
  return picture.locator(selector).count();
}

beforeAll(async () => {
  daemon = await SigmaDaemon.start();
  browser = await launchChromium();
});

afterEach(async () => {
  await closePagesAndDeleteProcesses(pages, daemon);
  expect(problems.splice(0)).toEqual([]);
});

afterAll(() => endBrowserAndDaemon(browser, daemon));

describe('the schedule timeline', () => {
  it("draws each PERIODIC process's releases and jobs as they come, its deadline misses in red, over the window and partition chosen", async () => {
    expect((await daemon.request('POST', '/partitions', { name: 'lab' })).status).toBe(201);
    await created({ name: 'quick', type: 'PERIODIC', period: 300, command: ['sleep', '0.05'] });
    await created({ name: 'late', type: 'PERIODIC', period: 300, command: ['sleep', '0.2'], timeCapacityMs: 100 });
    await created({ name: 'once', command: ['true'] });
    const page = await open();
    for (const name of ['quick', 'late']) {
      await waitForState(page, name, 'DORMANT');
      expect(await operate(page, name, 'START')).toBe('START: OK, now RUNNING');
    }

    // Closed at first, below the list, the details and the create form.
    expect(await page.locator('#timeline-body').isVisible()).toBe(false);
    const formBox = await page.locator('#create-form').boundingBox();
    const toggleBox = await page.getByRole('button', { name: 'Schedule timeline' }).boundingBox();
    expect(toggleBox!.y).toBeGreaterThan(formBox!.y + formBox!.height);
    await openTimeline(page);
    expect(await page.getByRole('list', { name: 'Legend' }).textContent()).toContain('deadline missed');
    expect(await page.locator('#timeline-body .hint').first().textContent()).toContain('an overrun when the previous job still ran');

    // A row per PERIODIC process, by id, each with its name; none for a ONE_SHOT.
    const quick = pictureOf(page, 'quick');
    const late = pictureOf(page, 'late');
    await quick.waitFor();
    await late.waitFor();
    const rows = page.locator('#timeline-rows .timeline-row[data-process-id]');
    expect(await rows.locator('.timeline-name').allTextContents()).toEqual(['quick', 'late']);

    // Release ticks and job bars keep coming while it is open.
    const first = await waitForSummary(page, 'quick', 'three releases and jobs', (summary) => summary.releases >= 3 && summary.jobs >= 3);
    const ticks = await countOf(quick, 'line.release');
    const bars = await countOf(quick, 'rect.job');
    expect(ticks).toBeGreaterThanOrEqual(3);
    expect(bars).toBeGreaterThanOrEqual(3);
    const later = await waitForSummary(page, 'quick', 'more releases', (summary) => summary.releases >= first.releases + 3);
    expect(await countOf(quick, 'line.release')).toBeGreaterThan(ticks);
    expect(await countOf(quick, 'rect.job')).toBeGreaterThan(bars);
    // One job per release (the newest may be just due), none late past its period, none missed.
    expect(Math.abs(later.releases - later.jobs)).toBeLessThanOrEqual(1);
    expect(later).toMatchObject({ overruns: 0, skipped: 0, deadlineMisses: 0, window: '10 s' });
    expect(await countOf(quick, 'rect.job.missed')).toBe(0);

    // Every job of `late` runs past its 100 ms capacity: its bars are the deadline misses.
    const missed = await waitForSummary(page, 'late', 'two deadline misses', (summary) => summary.deadlineMisses >= 2);
    expect(missed.skipped).toBe(0);
    expect(await countOf(late, 'rect.job.missed')).toBeGreaterThanOrEqual(2);
    expect(await late.locator('rect.job.missed title').first().textContent()).toMatch(/^job \d+ .+; missed its deadline$/);
    // As the API says of its runs.
    const lateRuns = (await daemon.request('GET', `/processes/${(await daemon.processNamed('late')).id}/runs?limit=3`)).body.runs;
    expect(lateRuns.length).toBeGreaterThan(0);
    expect(lateRuns.every((run: { deadlineMissed: boolean }) => run.deadlineMissed)).toBe(true);

    // A wider window: still drawn, over 30 s now, the axis reaching back as far.
    await page.locator('#timeline-body').getByLabel('Window').selectOption('30000');
    const wide = await waitForSummary(page, 'quick', 'the 30 s window', (summary) => summary.window === '30 s');
    expect(wide.releases).toBeGreaterThanOrEqual(later.releases);
    expect(await countOf(quick, 'line.release')).toBeGreaterThan(0);
    expect(await countOf(late, 'rect.job.missed')).toBeGreaterThan(0);
    expect(await page.locator('.timeline-axis text').allTextContents()).toContain('−30 s');

    // A partition without any of them says so, and draws no row.
    const partition = page.locator('#timeline-body').getByLabel('Partition');
    await partition.selectOption('lab');
    const empty = page.locator('#timeline-empty');
    await waitForText(empty, 'the empty partition', (text) => text === 'No PERIODIC process in the partition lab.');
    expect(await empty.isVisible()).toBe(true);
    expect(await rows.count()).toBe(0);
    await partition.selectOption('default');
    await quick.waitFor();
    expect(await empty.isVisible()).toBe(false);

    // Closed, it is not drawn: the picture stays as it was while the jobs go on.
    await page.getByRole('button', { name: 'Schedule timeline' }).click();
    // Hidden, it is no image to a screen reader: found by its row.
    const hiddenQuick = page.locator('.timeline-row', { hasText: 'quick' }).locator('svg');
    const frozen = await hiddenQuick.evaluate((picture) => picture.innerHTML);
    const quickId = (await daemon.processNamed('quick')).id as number;
    const runsThen = (await daemon.process(quickId)).runs as number;
    await waitFor('two more runs of quick', () => daemon.process(quickId), (process) => process.runs >= runsThen + 2);
    expect(await hiddenQuick.evaluate((picture) => picture.innerHTML)).toBe(frozen);
    await page.getByRole('button', { name: 'Schedule timeline' }).click();
    await waitFor('the picture to be drawn again', () => quick.evaluate((picture) => picture.innerHTML), (html) => html !== frozen);

    for (const name of ['quick', 'late']) expect(await operate(page, name, 'STOP')).toBe('STOP: OK, now DORMANT');
    expect((await daemon.request('DELETE', '/partitions/lab')).status).toBe(204);
  }, 90_000);

  it('marks the releases a job outlasts as overruns', async () => {
    await created({ name: 'slow', type: 'PERIODIC', period: 200, command: ['sleep', '0.5'], state: 'RUNNING' });
    const page = await open();
    await openTimeline(page);
    const slow = pictureOf(page, 'slow');
    const summary = await waitForSummary(page, 'slow', 'two overruns', (found) => found.overruns >= 2 && found.jobs >= 2);
    // Each 500 ms job spans two more release points of its 200 ms grid: about two overruns a job.
    expect(summary.overruns).toBeGreaterThanOrEqual(summary.jobs - 1);
    expect(summary.skipped).toBe(0);
    const marks = slow.locator('g.mark.overrun');
    expect(await marks.count()).toBeGreaterThanOrEqual(2);
    expect(await marks.first().locator('title').textContent()).toMatch(/^overrun at [\d:.]+: the previous job was still running$/);
    expect(await slow.locator('g.mark.skipped').count()).toBe(0);
    // The daemon counts them too.
    const counted = await daemon.processNamed('slow');
    expect(counted.overruns).toBeGreaterThanOrEqual(2);
    expect(await operate(page, 'slow', 'STOP')).toBe('STOP: OK, now DORMANT');
  });

  it('marks the releases that fall inside a suspension as skipped', async () => {
    const id = await created({ name: 'napper', type: 'PERIODIC', period: 200, command: ['true'], state: 'RUNNING' });
    const page = await open();
    await openTimeline(page);
    const napper = pictureOf(page, 'napper');
    await waitForSummary(page, 'napper', 'two jobs', (found) => found.jobs >= 2);
    expect(await operate(page, 'napper', 'SUSPEND')).toBe('SUSPEND: OK, now SUSPENDEND');
    // The button is in the list at the top of the page: back down to the timeline, drawn only while in view.
    await page.locator('#timeline-rows').scrollIntoViewIfNeeded();
    // A point is called skipped once it is a second old and still has no job.
    const summary = await waitForSummary(page, 'napper', 'three skipped releases', (found) => found.skipped >= 3);
    expect(summary.overruns).toBe(0);
    const marks = napper.locator('g.mark.skipped');
    expect(await marks.count()).toBeGreaterThanOrEqual(3);
    expect(await marks.first().locator('title').textContent()).toMatch(/^skipped at [\d:.]+: no job was started$/);
    // RUNNING when it was suspended with its job (`true`) still there.
    expect(await operate(page, 'napper', 'RESUME')).toMatch(/^RESUME: OK, now (WAITING|RUNNING)$/);
    await page.locator('#timeline-rows').scrollIntoViewIfNeeded();
    // The daemon counts them as skipped when the process resumes.
    const counted = await waitFor('the skipped releases to be counted', () => daemon.process(id), (process) => process.skipped >= summary.skipped);
    expect(counted.overruns).toBe(0);
    await waitForSummary(page, 'napper', 'jobs again after the suspension', (found) => found.jobs >= summary.jobs + 2);
    expect(await operate(page, 'napper', 'STOP')).toBe('STOP: OK, now DORMANT');
  });
});
