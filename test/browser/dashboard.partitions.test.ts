// The dashboard with partitions, in Debian's Chromium against a real daemon: the Partition
// column and filter, the partitions panel, and a tab logged in with a partition token, which
// sees and creates in its own partition only (and is not broken by the node-wide routes it may not read).
// The panel's buttons operate a whole partition: the table follows, and /proc says the jobs did.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, procState } from '../support/osProcesses.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';
import {
  cellOf,
  createProcess,
  LAPTOP,
  launchChromium,
  logIn,
  openDashboard,
  operatePartition,
  partitionButton,
  partitionRowOf,
  rowOf,
  waitForState,
  waitForText,
} from './dashboardPage.js';

let daemon: SigmaDaemon;
let browser: Browser;
const pages: Page[] = [];
const problems: string[] = [];
/** Processes a test made beyond the shared ones of beforeAll: deleted after it, which ends their jobs. */
const madeIds: number[] = [];

async function open(): Promise<Page> {
  const page = await openDashboard(browser, daemon.url, LAPTOP, problems);
  pages.push(page);
  return page;
}

async function made(path: string, body: unknown) {
  const reply = await daemon.request('POST', path, body);
  expect(reply.status, reply.text).toBe(201);
  return reply.body;
}

/** A `sleep` started through the API, once its job runs: its id and the job's pid. */
async function running(name: string, partition: string): Promise<{ id: number; pid: number }> {
  const id = (await made('/processes', { name, partition, command: ['sleep', '300'], state: 'RUNNING' })).processes[0].id as number;
  madeIds.push(id);
  const process = await waitFor(`${name} to run its job`, () => daemon.process(id), (found) => found?.state === 'RUNNING' && found.pid !== null);
  return { id, pid: process.pid as number };
}

async function idOf(name: string): Promise<number> {
  return (await daemon.request('GET', `/processes?process_name=${name}`)).body.processes[0].id as number;
}

async function waitForProcState(pid: number, what: string, accept: (state: string | null) => boolean): Promise<void> {
  await waitFor(`the job ${pid} to be ${what} in /proc`, () => procState(pid), accept);
}

beforeAll(async () => {
  daemon = await SigmaDaemon.start();
  browser = await launchChromium();
  await made('/partitions', { name: 'lab', maxRunning: 2, memoryBytes: 268_435_456, pids: 64 });
  await made('/partitions', { name: 'ops' });
  await made('/processes', { name: 'lab-job', partition: 'lab', command: ['sleep', '300'] });
  await made('/processes', { name: 'ops-job', partition: 'ops', command: ['sleep', '300'] });
  await made('/processes', { name: 'plain-job', command: ['sleep', '300'] });
});

afterEach(async () => {
  for (const page of pages.splice(0)) await page.context().close();
  for (const id of madeIds.splice(0)) await daemon.request('DELETE', `/processes/${id}`);
  // The shared lab-job is started by one test: whatever became of that test, it is left DORMANT.
  await daemon.request('PUT', '/partitions/lab', { operation: 'STOP' });
  expect(problems.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  if (daemon) expect(await daemon.stop()).toBe(0);
  await cleanUpDaemons();
});

describe('the dashboard with partitions', () => {
  it('shows each process with its partition, filters by partition, and lists the partitions with their limits', async () => {
    const page = await open();
    await logIn(page, daemon.token);
    await rowOf(page, 'plain-job').waitFor();
    expect(await cellOf(rowOf(page, 'lab-job'), 'Partition').textContent()).toBe('lab');
    expect(await cellOf(rowOf(page, 'plain-job'), 'Partition').textContent()).toBe('default');

    const panel = page.locator('#partition-rows');
    await waitForText(panel, 'the three partitions', (text) => text.includes('default') && text.includes('lab') && text.includes('ops'));
    const lab = panel.locator('tr[data-partition="lab"]');
    expect(await cellOf(lab, 'Processes').textContent()).toBe('1');
    expect(await cellOf(lab, 'Max running').textContent()).toBe('2');
    expect(await cellOf(lab, 'Memory').textContent()).toMatch(/^256 MiB/);
    // A limit the node cannot enforce is said in words, not only flagged.
    const support = (await daemon.request('GET', '/node')).body.partitionLimits as Record<string, string | null>;
    const warnings = page.locator('#partition-warnings');
    if (support['memoryBytes'] !== null) {
      await waitForText(warnings, 'the memory warning', (text) => text.includes('The memory limit of lab is not enforced'));
      expect(await cellOf(lab, 'Memory').textContent()).toContain('not enforced');
    } else {
      expect(await warnings.textContent()).not.toContain('memory limit of lab');
    }

    await page.getByLabel('Partition', { exact: true }).first().selectOption('ops');
    await waitForText(page.locator('#process-count'), 'the filtered count', (text) => text === '(1 of 3)');
    expect(await rowOf(page, 'ops-job').isVisible()).toBe(true);
    expect(await rowOf(page, 'lab-job').isVisible()).toBe(false);
    await page.getByLabel('Partition', { exact: true }).first().selectOption('');
    await waitForText(page.locator('#process-count'), 'every process again', (text) => text === '(3)');

    // The create form offers the partitions, default first chosen.
    const field = page.locator('#create-form').getByLabel('Partition');
    expect(await field.inputValue()).toBe('default');
    expect(await createProcess(page, { name: 'ops-made', partition: 'ops', command: 'true' })).toMatch(/^Created ops-made/);
    const created = (await daemon.request('GET', '/processes?process_name=ops-made')).body.processes[0];
    expect(created.partition).toBe('ops');
    await daemon.request('DELETE', `/processes/${created.id}`);
  });

  it('logged in with a partition token, sees and creates in its own partition only', async () => {
    const token = (await made('/partitions/lab/tokens', { label: 'browser' })).tokens[0].token as string;
    const page = await open();
    expect(await page.locator('#login').textContent()).toContain('partition token');
    await logIn(page, token);
    await rowOf(page, 'lab-job').waitFor();
    await waitForText(page.locator('#connection'), 'the event stream to be live', (text) => text === 'Live');
    expect(await page.locator('#process-rows tr').count()).toBe(1);
    expect(await rowOf(page, 'ops-job').count()).toBe(0);

    const panel = page.locator('#partition-rows');
    await waitForText(panel, 'its own partition', (text) => text.includes('lab'));
    expect(await panel.locator('tr').count()).toBe(1);
    expect(await page.locator('#partition-error').textContent()).toBe('');

    const field = page.locator('#create-form').getByLabel('Partition');
    expect(await field.inputValue()).toBe('lab');
    expect(await createProcess(page, { name: 'lab-made', command: 'sleep 300', startNow: true })).toMatch(/^Created lab-made/);
    await rowOf(page, 'lab-made').waitFor();
    expect(await cellOf(rowOf(page, 'lab-made'), 'Partition').textContent()).toBe('lab');
    const created = (await daemon.request('GET', '/processes?process_name=lab-made')).body.processes[0];
    expect(created.partition).toBe('lab');
    // The panel's counts follow the processes.
    await waitForText(cellOf(panel.locator('tr[data-partition="lab"]'), 'Processes'), 'two processes in lab', (text) => text === '2');
    expect(await page.locator('#list-error').textContent()).toBe('');
    await daemon.request('DELETE', `/processes/${created.id}`);
  });

  it('operates a whole partition from its row, and /proc shows its jobs stopped and resumed while the others run on', async () => {
    const labOne = await running('lab-one', 'lab');
    const labTwo = await running('lab-two', 'lab');
    const elsewhere = await running('default-one', 'default');
    // lab-job (from beforeAll) was never started: SUSPEND and RESUME fail for it, with the reason.
    const notStarted = `lab-job (id ${await idOf('lab-job')}): not started: START it first`;
    const page = await open();
    await logIn(page, daemon.token);
    await rowOf(page, 'default-one').waitFor();
    await waitForText(page.locator('#connection'), 'the event stream to be live', (text) => text === 'Live');
    const lab = partitionRowOf(page, 'lab');
    await lab.waitFor();
    expect(await lab.getByRole('button').allTextContents()).toEqual(['START', 'SUSPEND', 'RESUME', 'STOP']);

    // While the answer is awaited (held here), the row's four buttons are disabled and the row says so.
    let letThrough = (): void => undefined;
    const held = new Promise<void>((resolve) => (letThrough = resolve));
    await page.route('**/partitions/lab', async (route) => {
      if (route.request().method() === 'PUT') await held;
      await route.continue();
    });
    await partitionButton(page, 'lab', 'SUSPEND').click();
    await waitFor(
      'the buttons of lab to be disabled while its SUSPEND is under way',
      () => lab.getByRole('button').evaluateAll((buttons) => buttons.map((button) => (button as HTMLButtonElement).disabled)),
      (disabled) => disabled.length === 4 && disabled.every(Boolean),
    );
    expect(await lab.locator('.outcome').textContent()).toBe('SUSPEND…');
    letThrough();
    const suspended = await waitForText(lab.locator('.outcome'), 'the result of SUSPEND on lab', (text) => text.startsWith('SUSPEND lab:'));
    await page.unroute('**/partitions/lab');
    expect(suspended).toBe(`SUSPEND lab: 3 processes, 2 done, 1 failed — ${notStarted}`);
    expect(await lab.locator('.outcome').getAttribute('class')).toBe('outcome failed');
    expect(await lab.getByRole('button').evaluateAll((buttons) => buttons.map((button) => (button as HTMLButtonElement).disabled))).toEqual([false, false, false, false]);
    await waitForState(page, 'lab-one', 'SUSPENDEND');
    await waitForState(page, 'lab-two', 'SUSPENDEND');
    await waitForProcState(labOne.pid, 'stopped (T)', (state) => state === 'T');
    await waitForProcState(labTwo.pid, 'stopped (T)', (state) => state === 'T');
    expect(await rowOf(page, 'default-one').locator('.state').textContent()).toBe('RUNNING');
    expect(isAlive(elsewhere.pid)).toBe(true);
    expect(procState(elsewhere.pid)).not.toBe('T');

    expect(await operatePartition(page, 'lab', 'RESUME')).toBe(`RESUME lab: 3 processes, 2 done, 1 failed — ${notStarted}`);
    await waitForState(page, 'lab-one', 'RUNNING');
    await waitForState(page, 'lab-two', 'RUNNING');
    await waitForProcState(labOne.pid, 'running again', (state) => state !== null && state !== 'T');
    await waitForProcState(labTwo.pid, 'running again', (state) => state !== null && state !== 'T');

    expect(await operatePartition(page, 'lab', 'STOP')).toBe('STOP lab: 3 processes, 3 done');
    expect(await lab.locator('.outcome').getAttribute('class')).toBe('outcome ok');
    await waitForState(page, 'lab-one', 'DORMANT');
    await waitForState(page, 'lab-two', 'DORMANT');
    await waitFor('the jobs of lab to have ended', () => [isAlive(labOne.pid), isAlive(labTwo.pid)], (alive) => !alive.includes(true));
    expect(await rowOf(page, 'default-one').locator('.state').textContent()).toBe('RUNNING');
    expect(isAlive(elsewhere.pid)).toBe(true);
    // The panel's counts follow; the answer is kept in its row across the panel's reads.
    await waitForText(cellOf(lab, 'Running'), 'nothing running in lab', (text) => text === '0');
    expect(await lab.locator('.outcome').textContent()).toBe('STOP lab: 3 processes, 3 done');
    expect(await page.locator('#list-error').textContent()).toBe('');
  });

  it('logged in with a partition token, starts, suspends and stops its own partition', async () => {
    const token = (await made('/partitions/lab/tokens', { label: 'operator' })).tokens[0].token as string;
    const own = await running('lab-token-job', 'lab');
    const labJobId = await idOf('lab-job');
    const page = await open();
    await logIn(page, token);
    await rowOf(page, 'lab-token-job').waitFor();
    await waitForText(page.locator('#connection'), 'the event stream to be live', (text) => text === 'Live');
    await partitionRowOf(page, 'lab').waitFor();
    expect(await page.locator('#partition-rows tr').count()).toBe(1);

    expect(await operatePartition(page, 'lab', 'START')).toBe('START lab: 2 processes, 2 done');
    await waitForState(page, 'lab-job', 'RUNNING');
    const labJobPid = (await waitFor('lab-job to run its job', () => daemon.process(labJobId), (found) => typeof found?.pid === 'number')).pid as number;

    expect(await operatePartition(page, 'lab', 'SUSPEND')).toBe('SUSPEND lab: 2 processes, 2 done');
    await waitForState(page, 'lab-token-job', 'SUSPENDEND');
    await waitForState(page, 'lab-job', 'SUSPENDEND');
    await waitForProcState(own.pid, 'stopped (T)', (state) => state === 'T');
    await waitForProcState(labJobPid, 'stopped (T)', (state) => state === 'T');

    // STOP ends a suspended job too, and leaves lab-job DORMANT, as the other tests expect it.
    expect(await operatePartition(page, 'lab', 'STOP')).toBe('STOP lab: 2 processes, 2 done');
    await waitForState(page, 'lab-token-job', 'DORMANT');
    await waitForState(page, 'lab-job', 'DORMANT');
    await waitFor('the jobs of lab to have ended', () => [isAlive(own.pid), isAlive(labJobPid)], (alive) => !alive.includes(true));
    expect(await page.locator('#list-error').textContent()).toBe('');
  });

  it("says when a partition has no processes, and shows the API's refusal of an operation", async () => {
    await made('/partitions', { name: 'gone' });
    const page = await open();
    await logIn(page, daemon.token);
    const gone = partitionRowOf(page, 'gone');
    await gone.waitFor();
    expect(await operatePartition(page, 'gone', 'STOP')).toBe('STOP gone: no processes');
    // Deleted behind the page's back, the partition keeps its row until the panel is read again
    // (after events, or every 10 s: not within this test's second or two after logging in).
    expect((await daemon.request('DELETE', '/partitions/gone')).status).toBe(204);
    expect(await operatePartition(page, 'gone', 'START')).toBe('START gone: no partition named "gone"');
    expect(await gone.locator('.outcome').getAttribute('class')).toBe('outcome failed');
    // The tab is still logged in.
    expect(await page.getByRole('heading', { name: /^Processes/ }).isVisible()).toBe(true);
  });
});
