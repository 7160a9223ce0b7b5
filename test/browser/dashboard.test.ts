// The web dashboard end to end: Debian's Chromium on the page the real daemon serves at `/`,
// driving real processes. State changes made outside the page must show up without a reload.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, procState } from '../support/osProcesses.js';
import { SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';
import {
  closePagesAndDeleteProcesses,
  endBrowserAndDaemon,
  cellOf,
  createProcess,
  LAPTOP,
  launchChromium,
  logIn,
  openDashboard,
  openPartitions,
  operate,
  partitionRowOf,
  operationStates,
  PHONE,
  SMALL_LAPTOP,
  TABLET,
  rowOf,
  waitForOperations,
  waitForState,
  waitForText,
} from './dashboardPage.js';

const NOT_STARTED = 'disabled: not started: START it first';
/** What a row offers in each state, as operationStates() reads it. */
const OFFERED = {
  DORMANT: { START: 'enabled', SUSPEND: NOT_STARTED, RESUME: NOT_STARTED, STOP: 'disabled: not started: nothing to stop', DELETE: 'enabled' },
  RUNNING: { START: 'disabled: already running', SUSPEND: 'enabled', RESUME: 'disabled: not suspended', STOP: 'enabled', DELETE: 'enabled' },
  SUSPENDEND: { START: 'disabled: suspended: RESUME it', SUSPEND: 'disabled: already suspended', RESUME: 'enabled', STOP: 'enabled', DELETE: 'enabled' },
};

/** Set to a path (docs/dashboard.png) to take the README's screenshot. */
const SCREENSHOT_PATH = process.env['SIGMA_DASHBOARD_SCREENSHOT'];

let daemon: SigmaDaemon;
let browser: Browser;
const pages: Page[] = [];
const problems: string[] = [];

async function open(viewport = LAPTOP): Promise<Page> {
  const page = await openDashboard(browser, daemon.url, viewport, problems);
  pages.push(page);
  return page;
}

async function idOf(name: string): Promise<number> {
  const reply = await daemon.request('GET', `/processes?process_name=${name}`);
  expect(reply.status).toBe(200);
  return reply.body.processes[0].id as number;
}

/** A port free right now, for a daemon that must come back on the same address. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
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

describe('the dashboard', () => {
  it('is served at / without a token, asks for the token, keeps it for the tab and logs out', async () => {
    const page = await open();
    await page.getByLabel('Node token').fill('not-the-node-token-at-all');
    await page.getByRole('button', { name: 'Log in' }).click();
    await waitForText(page.getByRole('alert').first(), 'the refusal of a wrong token', (text) => text.includes('neither the node token'));
    expect(await page.getByRole('heading', { name: /^Processes/ }).isVisible()).toBe(false);

    await logIn(page, daemon.token);
    expect(await page.evaluate(() => sessionStorage.getItem('sigma.token'))).toBe(daemon.token);
    await waitForText(page.locator('#connection'), 'the event stream to be live', (text) => text === 'Live');

    // A reload keeps the tab logged in.
    await page.reload();
    await page.getByRole('heading', { name: /^Processes/ }).waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Node token').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('sigma.token'))).toBeNull();
    expect(await page.getByRole('heading', { name: /^Processes/ }).isVisible()).toBe(false);
  });

  it('creates, starts, suspends, resumes, stops and deletes a process, and follows changes made elsewhere live', async () => {
    const page = await open();
    await logIn(page, daemon.token);

    expect(await createProcess(page, { name: 'sleeper', command: 'sleep 30' })).toMatch(/^Created sleeper \(id \d+\), DORMANT\.$/);
    const id = await idOf('sleeper');
    const row = rowOf(page, 'sleeper');
    await waitForState(page, 'sleeper', 'DORMANT');
    expect(await cellOf(row, 'Type').textContent()).toBe('one-shot');

    // Only what can do something is offered; the others say why not.
    await waitForOperations(page, 'sleeper', OFFERED.DORMANT);

    expect(await operate(page, 'sleeper', 'START')).toBe('START: OK, now RUNNING');
    await waitForState(page, 'sleeper', 'RUNNING');
    await waitForOperations(page, 'sleeper', OFFERED.RUNNING);
    const pid = Number(await waitForText(cellOf(row, 'Pid'), 'a pid', (text) => /^\d+$/.test(text)));
    expect((await daemon.process(id)).pid).toBe(pid);
    expect(isAlive(pid)).toBe(true);

    expect(await operate(page, 'sleeper', 'SUSPEND')).toBe('SUSPEND: OK, now SUSPENDEND');
    await waitForState(page, 'sleeper', 'SUSPENDEND');
    expect(procState(pid)).toBe('T');
    await waitForOperations(page, 'sleeper', OFFERED.SUSPENDEND);

    expect(await operate(page, 'sleeper', 'RESUME')).toBe('RESUME: OK, now RUNNING');
    await waitForState(page, 'sleeper', 'RUNNING');
    expect(procState(pid)).not.toBe('T');

    expect(await operate(page, 'sleeper', 'STOP')).toBe('STOP: OK, now DORMANT');
    await waitForState(page, 'sleeper', 'DORMANT');
    await waitForOperations(page, 'sleeper', OFFERED.DORMANT);
    expect(isAlive(pid)).toBe(false);
    await waitForText(cellOf(row, 'Last exit'), 'the last exit', (text) => text.startsWith('SIGTERM'));

    // Changes made through the API reach the open page through the event stream alone, and its buttons follow.
    expect((await daemon.operate(id, 'START')).body.processes[0].result).toBe('OK');
    await waitForState(page, 'sleeper', 'RUNNING');
    await waitForOperations(page, 'sleeper', OFFERED.RUNNING);
    await daemon.process(id);
    expect((await daemon.operate(id, 'STOP')).body.processes[0].result).toBe('OK');
    await waitForState(page, 'sleeper', 'DORMANT');
    await waitForOperations(page, 'sleeper', OFFERED.DORMANT);
    const created = await daemon.create({ name: 'made-elsewhere', command: ['true'] });
    expect(created.status).toBe(201);
    await rowOf(page, 'made-elsewhere').waitFor();
    expect((await daemon.request('DELETE', `/processes/${created.body.processes[0].id}`)).status).toBe(204);
    await rowOf(page, 'made-elsewhere').waitFor({ state: 'detached' });

    await row.getByRole('button', { name: 'DELETE', exact: true }).click();
    await row.waitFor({ state: 'detached' });
    expect((await daemon.request('GET', `/processes/${id}`)).status).toBe(404);
  });

  it('offers START and RESUME on a RUNNING process disabled with the reason, and START again once a click on STOP is done', async () => {
    expect((await daemon.create({ name: 'runner', command: ['sleep', '300'], state: 'RUNNING' })).status).toBe(201);
    const page = await open();
    await logIn(page, daemon.token);
    await waitForState(page, 'runner', 'RUNNING');
    const row = rowOf(page, 'runner');
    await waitForOperations(page, 'runner', OFFERED.RUNNING);
    // The reason is the button's accessible description, for a screen reader too.
    const start = row.getByRole('button', { name: 'START', exact: true });
    expect(await start.evaluate((button) => (button as HTMLButtonElement).title)).toBe('already running');
    expect(await start.isDisabled()).toBe(true);

    await row.getByRole('button', { name: 'STOP', exact: true }).click();
    await waitForState(page, 'runner', 'DORMANT');
    await waitForOperations(page, 'runner', OFFERED.DORMANT);
    expect(await row.locator('.outcome').textContent()).toBe('STOP: OK, now DORMANT');
  });

  it("shows the daemon's FAILED answer, with its reason, when the page had not yet seen a change", async () => {
    const id = (await daemon.create({ name: 'behind', command: ['sleep', '300'] })).body.processes[0].id as number;
    const page = await open();
    // No event reaches this tab: it keeps showing the list as it read it.
    await page.route('**/events*', (route) => route.abort());
    await logIn(page, daemon.token);
    await waitForOperations(page, 'behind', OFFERED.DORMANT);
    expect((await daemon.operate(id, 'START')).body.processes[0].result).toBe('OK');
    await waitFor('behind to run its job', () => daemon.process(id), (found) => typeof found?.pid === 'number');
    expect((await daemon.operate(id, 'SUSPEND')).body.processes[0].result).toBe('OK');
    expect(await operationStates(page, 'behind')).toEqual(OFFERED.DORMANT);

    expect(await operate(page, 'behind', 'START')).toBe('START: FAILED: suspended: RESUME it first');
    expect(await rowOf(page, 'behind').locator('.outcome').getAttribute('class')).toBe('outcome failed');
    // The page reads the process again after the answer, and offers what fits its state.
    await waitForState(page, 'behind', 'SUSPENDEND');
    await waitForOperations(page, 'behind', OFFERED.SUSPENDEND);
  });

  it('says, as a failure and with the reason, when the start asked with a creation failed', async () => {
    const page = await open();
    await logIn(page, daemon.token);
    const said = await createProcess(page, { name: 'ghost', command: '/nonexistent/ghost', startNow: true });
    const ghost = (await daemon.request('GET', '/processes?process_name=ghost')).body.processes[0];
    expect(ghost.state).toBe('DORMANT');
    expect(ghost.lastExit.error).toMatch(/\S/);
    expect(said).toBe(`Created ghost (id ${ghost.id as number}), but its start failed: ${ghost.lastExit.error as string}`);
    const message = page.locator('#create-message');
    expect(await message.getAttribute('class')).toBe('message error');
    expect(await message.getAttribute('role')).toBe('alert');
    await waitForState(page, 'ghost', 'DORMANT');

    // A start that works is said as before.
    expect(await createProcess(page, { name: 'fine', command: 'sleep 300', startNow: true })).toMatch(/^Created fine \(id \d+\), (RUNNING|READY)\.$/);
    expect(await message.getAttribute('class')).toBe('message ok');
  });

  it('shows the process list, the details and the New process form within a 1366x768 screen, the partitions panel closed', async () => {
    expect((await daemon.request('POST', '/partitions', { name: 'batch' })).status).toBe(201);
    for (const name of ['first', 'second', 'third', 'fourth']) {
      expect((await daemon.create({ name, command: ['sleep', '300'], partition: name === 'fourth' ? 'batch' : 'default' })).status).toBe(201);
    }
    const page = await open(SMALL_LAPTOP);
    await logIn(page, daemon.token);
    await rowOf(page, 'fourth').waitFor();
    await waitForText(page.getByRole('button', { name: /^Partitions/ }), 'the count of partitions', (text) => text === 'Partitions (2)');
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    const bottomOf = async (selector: string): Promise<number> => {
      const box = await page.locator(selector).boundingBox();
      expect(box, selector).not.toBeNull();
      return box!.y + box!.height;
    };
    // Every row of the list, the details pane's heading and note, and the form's heading and first field.
    for (const selector of ['#process-table', '#detail-title', '#detail-empty', '#create-title', '#create-name']) {
      expect(await bottomOf(selector), selector).toBeLessThanOrEqual(SMALL_LAPTOP.height);
    }
    const fourth = (await daemon.request('GET', '/processes?process_name=fourth')).body.processes[0].id as number;
    expect((await daemon.request('DELETE', `/processes/${fourth}`)).status).toBe(204);
    expect((await daemon.request('DELETE', '/partitions/batch')).status).toBe(204);
  });

  it("shows the API's validation messages in the create form", async () => {
    const page = await open();
    await logIn(page, daemon.token);
    expect(await createProcess(page, { name: 'twice', command: 'true' })).toMatch(/^Created twice/);
    expect(await createProcess(page, { name: 'twice', command: 'true' })).toBe('Not created: a process named "twice" already exists');
    expect(await createProcess(page, { name: 'no period', command: 'true' })).toMatch(/^Not created: body\.name /);
    expect(await createProcess(page, { name: 'badenv', command: 'true', env: 'JUSTANAME' })).toBe(
      'Environment line 1: write NAME=value, not "JUSTANAME"',
    );
    const alert = page.locator('#create-message');
    expect(await alert.getAttribute('role')).toBe('alert');
    expect((await daemon.request('GET', '/processes?process_name=badenv')).status).toBe(404);
  });

  it("follows a process's output on stdout and stderr, and lists its runs", async () => {
    const page = await open();
    await logIn(page, daemon.token);
    const script = 'echo "<b>not bold</b>"; echo "to stderr" >&2; i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo "line $i"; sleep 0.1; done';
    expect(await createProcess(page, { name: 'talker', command: JSON.stringify(['sh', '-c', script]), startNow: true })).toMatch(
      /^Created talker \(id \d+\), RUNNING\.$/,
    );
    const id = await idOf('talker');
    await daemon.process(id);

    await page.getByRole('button', { name: 'talker: show details' }).click();
    await page.getByRole('heading', { name: /^Details: talker/ }).waitFor();
    const output = page.getByLabel('Output: stdout');
    // Text from the process is shown as text, never as markup.
    await waitForText(output, 'the first line of stdout', (text) => text.startsWith('<b>not bold</b>\n'));
    expect(await output.locator('b').count()).toBe(0);
    // New lines arrive while the pane is open.
    const seen = await waitForText(output, 'line 5 to be followed', (text) => text.includes('line 5\n'));
    await waitForText(output, 'more lines to be followed', (text) => text.length > seen.length && text.includes('line 8\n'));

    await page.getByRole('button', { name: 'stderr', exact: true }).click();
    await waitForText(page.getByLabel('Output: stderr'), 'stderr', (text) => text === 'to stderr\n');

    expect(await operate(page, 'talker', 'STOP')).toBe('STOP: OK, now DORMANT');
    const runs = page.locator('.run-history table.runs tbody tr');
    await waitFor('the run to be listed', () => runs.count(), (count) => count === 1);
    expect(await runs.first().textContent()).toContain('SIGTERM (ended by sigma)');
    // A ONE_SHOT process has no timing chart.
    expect(await page.locator('.run-chart').count()).toBe(0);
  });

  it('shows a process\'s priority, time capacity and deadline misses, and counts down to its next job', async () => {
    const page = await open();
    await logIn(page, daemon.token);
    const periodic = await daemon.create({ name: 'paced', type: 'PERIODIC', period: 60_000, command: ['sleep', '0.3'], nice: 5, timeCapacityMs: 100 });
    expect(periodic.status, periodic.text).toBe(201);
    const paced = periodic.body.processes[0].id as number;
    expect((await daemon.operate(paced, 'START')).body.processes[0].result).toBe('OK');
    // Its first job runs past its capacity: one deadline missed.
    await waitFor('the deadline miss', () => daemon.process(paced), (process) => process.deadlineMisses === 1 && process.state === 'WAITING');
    await page.getByRole('button', { name: 'paced: show details' }).click();
    await page.getByRole('heading', { name: /^Details: paced/ }).waitFor();
    const facts = page.locator('dl.facts');
    const factOf = (term: string) => facts.locator(`dt:text-is("${term}") + dd`);
    await waitForText(factOf('Deadline misses'), 'one deadline missed', (text) => text === '1');
    // The duration chart draws the deadline, and the run that missed it apart.
    const durationChart = page.locator('.chart-duration');
    await durationChart.locator('.point.missed').first().waitFor();
    expect(await durationChart.locator('line.deadline title').textContent()).toBe('time capacity: 100 ms');
    expect(await durationChart.locator('.point.missed').count()).toBe(1);
    expect(await page.locator('.run-chart figcaption').textContent()).toContain('one run of these missed it (in red)');
    expect(await factOf('Priority (nice)').textContent()).toBe('5');
    expect(await factOf('Time capacity').textContent()).toBe('100 ms after each release; on a miss the job runs on, counted');
    const first = await waitForText(factOf('Next release'), 'the countdown', (text) => / \(in \d+(\.\d)? s\)$/.test(text));
    await waitForText(factOf('Next release'), 'the countdown to move', (text) => text !== first);

    const delayed = (await daemon.create({ name: 'later', command: ['true'] })).body.processes[0].id as number;
    const answer = await daemon.request('PUT', `/processes/${delayed}`, { operation: 'START', delayMs: 60_000 });
    expect(answer.body.processes[0].state).toBe('WAITING');
    await page.getByRole('button', { name: 'later: show details' }).click();
    await page.getByRole('heading', { name: /^Details: later/ }).waitFor();
    await waitForText(factOf('Next run'), 'the delayed start', (text) => /\(in (59|60)(\.\d)? s\)$/.test(text));
    expect(await factOf('Priority (nice)').count(), 'no priority of its own').toBe(0);
    expect((await daemon.operate(delayed, 'STOP')).body.processes[0].result).toBe('OK');
    expect((await daemon.operate(paced, 'STOP')).body.processes[0].result).toBe('OK');
  });

  it('creates a process with a time capacity, its action on a miss and a priority from the form', async () => {
    const page = await open();
    await logIn(page, daemon.token);
    const form = page.locator('#create-form');
    await form.getByLabel('Name').fill('timed');
    await form.getByLabel('One-shot').check();
    await form.getByLabel('Command').fill('sleep 5');
    await form.getByText('Time capacity and priority').click();
    await form.getByLabel('Time capacity (ms)').fill('100');
    await form.getByLabel('On a deadline miss').selectOption('stop');
    await form.getByLabel('Priority (nice)').fill('7');
    await form.getByLabel('Start now').check();
    await form.getByRole('button', { name: 'Create' }).click();
    await waitForText(form.locator('#create-message'), 'the create to answer', (text) => text.startsWith('Created timed'));
    const id = (await daemon.request('GET', '/processes?process_name=timed')).body.processes[0].id as number;
    expect(await daemon.process(id)).toMatchObject({ timeCapacityMs: 100, onDeadlineMiss: 'stop', nice: 7 });
    // Its job is stopped at its deadline, long before its 5 s.
    await waitFor('the deadline miss', () => daemon.process(id), (process) => process.deadlineMisses === 1 && process.state === 'DORMANT');
    // A value the API refuses is told, and nothing is made.
    await form.getByLabel('Name').fill('badly-timed');
    await form.getByLabel('Command').fill('true');
    await form.getByLabel('Time capacity (ms)').fill('soon');
    await form.getByRole('button', { name: 'Create' }).click();
    await waitForText(form.locator('#create-message'), 'the refusal', (text) => text.startsWith('Not created:') && text.includes('timeCapacityMs'));
    expect((await daemon.request('GET', '/processes?process_name=badly-timed')).status).toBe(404);
  });

  it('warns, on the row and in the details, when a process\'s output cannot be written to its log', async () => {
    const page = await open();
    await logIn(page, daemon.token);
    const created = await daemon.create({ name: 'unlogged', command: ['echo', 'lost'] });
    const id = created.body.processes[0].id as number;
    expect((await daemon.create({ name: 'logged', command: ['true'] })).status).toBe(201);
    // A directory where its stdout log should be: the daemon cannot open the file.
    mkdirSync(resolve(daemon.dataDir, 'logs', `${id}.stdout.log`), { recursive: true });
    expect((await daemon.operate(id, 'START')).body.processes[0].result).toBe('OK');
    const failing = await waitFor('the output error', () => daemon.process(id), (process) => process.outputError !== null && process.state === 'DORMANT');

    // The page learns of it from the job's end, without a reload.
    const warning = cellOf(rowOf(page, 'unlogged'), 'State').locator('.output-warning');
    await warning.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await warning.textContent()).toBe('⚠ output not logged');
    expect(await warning.getAttribute('title')).toBe(failing.outputError);
    await rowOf(page, 'logged').waitFor();
    expect(await cellOf(rowOf(page, 'logged'), 'State').locator('.output-warning').isVisible()).toBe(false);

    await page.getByRole('button', { name: 'unlogged: show details' }).click();
    const detailWarning = page.locator('#detail .warning');
    await detailWarning.waitFor({ state: 'visible' });
    expect(await detailWarning.textContent()).toBe(
      `Output not logged: ${failing.outputError}. The jobs keep running; their output is dropped until the log can be written.`,
    );
    await page.getByRole('button', { name: 'logged: show details', exact: true }).click();
    await page.getByRole('heading', { name: /^Details: logged/ }).waitFor();
    expect(await page.locator('#detail .warning').isVisible()).toBe(false);
  });

  it("draws a PERIODIC process's release lateness and job durations", async () => {
    const page = await open();
    await logIn(page, daemon.token);
    expect(await createProcess(page, { name: 'ticker', periodic: 200, command: 'date -u', startNow: true })).toMatch(/^Created ticker/);
    const row = rowOf(page, 'ticker');
    expect(await cellOf(row, 'Type').textContent()).toBe('periodic');
    expect(await cellOf(row, 'Period').textContent()).toBe('200 ms');
    await page.getByRole('button', { name: 'ticker: show details' }).click();

    const lateness = page.getByRole('img', { name: /^Release lateness of the last \d+ runs: min .+, mean .+, max .+$/ });
    const durations = page.getByRole('img', { name: /^Job duration of the last \d+ runs: / });
    await waitFor('the chart to show at least 3 runs', () => lateness.locator('circle').count().catch(() => 0), (count) => count >= 3);
    expect(await durations.locator('circle').count()).toBeGreaterThanOrEqual(3);
    const listed = await page.locator('.run-history table.runs tbody tr').count();
    expect(listed).toBeGreaterThanOrEqual(3);
    expect(await page.locator('.run-history table.runs thead').textContent()).toContain('Lateness');
    expect(await operate(page, 'ticker', 'STOP')).toBe('STOP: OK, now DORMANT');
  });

  it('shows each process as a card on a phone', async () => {
    for (const name of ['alpha', 'beta']) expect((await daemon.create({ name, command: ['true'] })).status).toBe(201);
    const phone = await open(PHONE);
    await logIn(phone, daemon.token);
    const card = rowOf(phone, 'alpha');
    await card.waitFor();
    const nameBox = await cellOf(card, 'Name').boundingBox();
    const opsBox = await cellOf(card, 'Operations').boundingBox();
    const cardBox = await card.boundingBox();
    expect(nameBox && opsBox && cardBox).toBeTruthy();
    // The fields stack inside a card as wide as the screen, each with its label; nothing scrolls sideways.
    expect(opsBox!.y).toBeGreaterThan(nameBox!.y + nameBox!.height - 1);
    expect(cardBox!.width).toBeGreaterThan(PHONE.width * 0.8);
    expect(await cellOf(card, 'State').evaluate((cell) => getComputedStyle(cell, '::before').content)).toBe('"State"');
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(await phone.locator('#process-table thead').boundingBox()).toMatchObject({ height: 1 });

    // On a laptop the same process is one row of the table.
    const laptop = await open(LAPTOP);
    await logIn(laptop, daemon.token);
    const row = rowOf(laptop, 'alpha');
    await row.waitFor();
    expect((await cellOf(row, 'Operations').boundingBox())!.y).toBe((await cellOf(row, 'Name').boundingBox())!.y);

    // Between the two (a tablet, a narrow window) the tables are rows too, and scroll inside their panels, not the page.
    const tablet = await open(TABLET);
    await logIn(tablet, daemon.token);
    await rowOf(tablet, 'alpha').waitFor();
    await openPartitions(tablet);
    await tablet.locator('#partition-rows tr').first().waitFor();
    expect(await tablet.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(TABLET.width);
  });

  it('reconnects over HTTPS after the daemon restarts and shows what changed meanwhile', async () => {
    const port = await freePort();
    const first = await SigmaDaemon.start({ tls: true, args: ['--port', String(port)] });
    const created = await first.create({ name: 'survivor', command: ['sh', '-c', 'echo "job $$ started"; exec sleep 60'], state: 'RUNNING' });
    expect(created.status).toBe(201);
    const firstPid = (await first.process(created.body.processes[0].id)).pid as number;
    const page = await openDashboard(browser, first.url, LAPTOP, problems);
    pages.push(page);
    await logIn(page, first.token);
    const row = rowOf(page, 'survivor');
    await waitForText(cellOf(row, 'Pid'), 'the first pid', (text) => text === String(firstPid));
    await page.getByRole('button', { name: 'survivor: show details' }).click();
    const output = page.getByLabel('Output: stdout');
    await waitForText(output, "the first job's output", (text) => text === `job ${firstPid} started\n`);

    expect(await first.stop()).toBe(0);
    await waitForText(page.locator('#connection'), 'the page to notice the drop', (text) => text.startsWith('Reconnecting'));
    const second = await SigmaDaemon.start({ tls: true, dataDir: first.dataDir, args: ['--port', String(port)] });
    // The restarted daemon runs the ONE_SHOT again: a new job, which the page shows without a reload.
    const secondPid = (await waitFor('the restarted job', () => second.process(created.body.processes[0].id), (process) => typeof process?.pid === 'number')).pid;
    expect(secondPid).not.toBe(firstPid);
    await waitForText(page.locator('#connection'), 'the page to reconnect', (text) => text === 'Live', 20_000);
    await waitForText(cellOf(row, 'Pid'), 'the new pid', (text) => text === String(secondPid));
    await waitForState(page, 'survivor', 'RUNNING');
    // The output pane follows the log again, which now holds both jobs' lines.
    await waitForText(output, "both jobs' output", (text) => text === `job ${firstPid} started\njob ${secondPid} started\n`);
    expect(await second.stop()).toBe(0);
  });

  it.runIf(SCREENSHOT_PATH)('takes the screenshot for the README', async () => {
    expect((await daemon.request('POST', '/partitions', { name: 'batch', maxRunning: 2 })).status).toBe(201);
    const made = [
      { name: 'ticker', type: 'PERIODIC', period: 1000, command: ['date', '-u'], state: 'RUNNING' },
      { name: 'backup', partition: 'batch', command: ['sleep', '600'], state: 'RUNNING' },
      { name: 'disk-check', type: 'PERIODIC', period: 2000, command: ['sh', '-c', 'df -h / | tail -n 1; exit 3'], state: 'RUNNING' },
      { name: 'nightly-report', partition: 'batch', command: ['sh', '-c', 'echo report done'] },
      { name: 'indexer', command: ['sleep', '600'], state: 'RUNNING' },
    ];
    for (const definition of made) expect((await daemon.create(definition)).status).toBe(201);
    const indexer = await idOf('indexer');
    await daemon.process(indexer);
    await daemon.process(await idOf('backup'));
    await daemon.operate(indexer, 'SUSPEND');
    const page = await open(SMALL_LAPTOP);
    await logIn(page, daemon.token);
    await page.getByRole('button', { name: 'ticker: show details' }).click();
    const lateness = page.getByRole('img', { name: /^Release lateness/ });
    await waitFor('ten runs of ticker in the chart', () => lateness.locator('circle').count().catch(() => 0), (count) => count >= 10, 30_000);
    await operate(page, 'nightly-report', 'START');
    await waitForState(page, 'nightly-report', 'DORMANT');
    await openPartitions(page);
    await partitionRowOf(page, 'batch').waitFor();
    const path = resolve(SCREENSHOT_PATH!);
    mkdirSync(dirname(path), { recursive: true });
    await page.screenshot({ path, fullPage: true });
  }, 60_000);
});
