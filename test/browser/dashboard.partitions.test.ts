// The dashboard with partitions, in Debian's Chromium against a real daemon: the Partition
// column and filter, the partitions panel, and a tab logged in with a partition token, which
// sees and creates in its own partition only (and is not broken by the node-wide routes it may not read).
// The panel's buttons operate a whole partition: the table follows, and /proc says the jobs did.
// With the node token the panel also makes partitions, changes their limits, deletes them and
// manages their tokens, each checked against the API; a partition token's tab offers none of it.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, procState } from '../support/osProcesses.js';
import { SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';
import {
  endBrowserAndDaemon,
  cellOf,
  createPartition,
  createProcess,
  editPartitionLimits,
  LAPTOP,
  launchChromium,
  PHONE,
  TABLET,
  logIn,
  openDashboard,
  openPartitions,
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

async function open(viewport = LAPTOP): Promise<Page> {
  const page = await openDashboard(browser, daemon.url, viewport, problems);
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

afterAll(() => endBrowserAndDaemon(browser, daemon));

describe('the dashboard with partitions', () => {
  it('shows each process with its partition, filters by partition, and lists the partitions with their limits', async () => {
    const page = await open();
    await logIn(page, daemon.token);
    await rowOf(page, 'plain-job').waitFor();
    expect(await cellOf(rowOf(page, 'lab-job'), 'Partition').textContent()).toBe('lab');
    expect(await cellOf(rowOf(page, 'plain-job'), 'Partition').textContent()).toBe('default');

    // The panel starts closed, its button saying how many partitions there are; it opens on a click.
    const toggle = page.getByRole('button', { name: /^Partitions/ });
    await waitForText(toggle, 'the count of partitions', (text) => text === 'Partitions (3)');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    const panel = page.locator('#partition-rows');
    expect(await panel.isVisible()).toBe(false);
    await openPartitions(page);
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await waitForText(panel, 'the three partitions', (text) => text.includes('default') && text.includes('lab') && text.includes('ops'));
    expect(await panel.isVisible()).toBe(true);
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
    await openPartitions(page);
    await rowOf(page, 'lab-job').waitFor();
    await waitForText(page.locator('#connection'), 'the event stream to be live', (text) => text === 'Live');
    expect(await page.locator('#process-rows tr').count()).toBe(1);
    expect(await rowOf(page, 'ops-job').count()).toBe(0);

    const panel = page.locator('#partition-rows');
    await waitForText(panel, 'its own partition', (text) => text.includes('lab'));
    expect(await panel.locator('tr').count()).toBe(1);
    expect(await page.locator('#partition-error').textContent()).toBe('');

    // A partition token may not make, change or delete partitions: the page offers none of it.
    expect(await page.locator('#partition-form').isHidden()).toBe(true);
    expect(await panel.getByRole('button').allTextContents()).toEqual(['START', 'SUSPEND', 'RESUME', 'STOP']);
    expect(await page.getByRole('button', { name: /Edit limits|Delete partition|Tokens|New token/ }).count()).toBe(0);

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
    await openPartitions(page);
    await rowOf(page, 'default-one').waitFor();
    await waitForText(page.locator('#connection'), 'the event stream to be live', (text) => text === 'Live');
    const lab = partitionRowOf(page, 'lab');
    await lab.waitFor();
    const labOperations = lab.locator('.partition-operations');
    expect(await labOperations.getByRole('button').allTextContents()).toEqual(['START', 'SUSPEND', 'RESUME', 'STOP']);

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
      () => labOperations.getByRole('button').evaluateAll((buttons) => buttons.map((button) => (button as HTMLButtonElement).disabled)),
      (disabled) => disabled.length === 4 && disabled.every(Boolean),
    );
    expect(await lab.locator('.outcome').textContent()).toBe('SUSPEND…');
    letThrough();
    const suspended = await waitForText(lab.locator('.outcome'), 'the result of SUSPEND on lab', (text) => text.startsWith('SUSPEND lab:'));
    await page.unroute('**/partitions/lab');
    expect(suspended).toBe(`SUSPEND lab: 3 processes, 2 done, 1 failed — ${notStarted}`);
    expect(await lab.locator('.outcome').getAttribute('class')).toBe('outcome failed');
    expect(await labOperations.getByRole('button').evaluateAll((buttons) => buttons.map((button) => (button as HTMLButtonElement).disabled))).toEqual([false, false, false, false]);
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
    await openPartitions(page);
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
    await openPartitions(page);
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
  it("creates a partition with limits from its form, and shows the API's refusals there", async () => {
    const page = await open();
    await logIn(page, daemon.token);
    await openPartitions(page);
    await partitionRowOf(page, 'lab').waitFor();
    const form = page.locator('#partition-form');

    expect(await createPartition(page, { name: 'made', maxRunning: '3', cpu: '0.5', memoryMiB: '64', pids: '32' })).toBe('Created partition made');
    const made = (await daemon.request('GET', '/partitions/made')).body.partitions[0];
    expect({ maxRunning: made.maxRunning, cpu: made.cpu, memoryBytes: made.memoryBytes, pids: made.pids }).toEqual({
      maxRunning: 3,
      cpu: 0.5,
      memoryBytes: 64 * 1_048_576,
      pids: 32,
    });
    // The panel was read again: the new row is there, with its limits; the form is empty again.
    const row = partitionRowOf(page, 'made');
    await row.waitFor();
    expect(await cellOf(row, 'Max running').textContent()).toBe('3');
    expect(await cellOf(row, 'Memory').textContent()).toMatch(/^64 MiB/);
    expect(await form.getByLabel('Name').inputValue()).toBe('');
    expect(await form.getByLabel('Memory (MiB)').inputValue()).toBe('');
    // The new partition is offered by the create-process form and the filter.
    await waitFor('the create form to offer made', () => page.locator('#create-partition option').allTextContents(), (names) => names.includes('made'));

    // What the API refuses is shown with its own message, and nothing is created.
    const namesNow = async (): Promise<string[]> =>
      ((await daemon.request('GET', '/partitions')).body.partitions as Array<{ name: string }>).map((partition) => partition.name);
    const before = await namesNow();
    const refusals: Array<[fields: Parameters<typeof createPartition>[1], body: Record<string, unknown>, status: number]> = [
      [{ name: 'bad name' }, { name: 'bad name' }, 400],
      [{ name: 'zero-cpu', cpu: '0' }, { name: 'zero-cpu', cpu: 0 }, 400],
      [{ name: 'lab', pids: '10' }, { name: 'lab', pids: 10 }, 409],
    ];
    for (const [fields, body, status] of refusals) {
      const api = await daemon.request('POST', '/partitions', body);
      expect(api.status, api.text).toBe(status);
      const said = await createPartition(page, fields);
      expect(said).toBe(`Not created: ${api.body.message as string}`);
      expect(await form.locator('#partition-message').getAttribute('role')).toBe('alert');
    }
    expect((await daemon.request('GET', '/partitions/zero-cpu')).status).toBe(404);
    expect(await namesNow()).toEqual(before);
    expect((await daemon.request('GET', '/partitions/lab')).body.partitions[0].pids).toBe(64);
    expect((await daemon.request('DELETE', '/partitions/made')).status).toBe(204);
  });

  it("edits a partition's limits from its row: a changed one is sent, an emptied one removed", async () => {
    await made('/partitions', { name: 'tuned', maxRunning: 2, cpu: 1.5, pids: 64 });
    const page = await open();
    await logIn(page, daemon.token);
    await openPartitions(page);
    const row = partitionRowOf(page, 'tuned');
    await row.waitFor();

    expect(await editPartitionLimits(page, 'tuned', { maxRunning: '5', pids: '', memoryMiB: '128' })).toBe('Limits of tuned saved');
    const tuned = (await daemon.request('GET', '/partitions/tuned')).body.partitions[0];
    expect({ maxRunning: tuned.maxRunning, cpu: tuned.cpu, memoryBytes: tuned.memoryBytes, pids: tuned.pids }).toEqual({
      maxRunning: 5,
      cpu: 1.5,
      memoryBytes: 128 * 1_048_576,
      pids: null,
    });
    expect(await cellOf(row, 'Max running').textContent()).toBe('5');
    expect(await cellOf(row, 'Pids').textContent()).toBe('—');
    expect(await row.getByRole('form').isHidden()).toBe(true);

    // The editor opens with the limits as they are now; a refused value is said in the row, and changes nothing.
    const refused = await daemon.request('PUT', '/partitions/tuned', { maxRunning: 0 });
    expect(refused.status).toBe(400);
    expect(await editPartitionLimits(page, 'tuned', { maxRunning: '0' })).toBe(`Limits of tuned not changed: ${refused.body.message as string}`);
    expect(await row.locator('.outcome').getAttribute('class')).toBe('outcome failed');
    expect(await row.getByRole('form').getByLabel('CPU (cores)').inputValue()).toBe('1.5');
    expect(await row.getByRole('form').getByLabel('Memory (MiB)').inputValue()).toBe('128');
    expect((await daemon.request('GET', '/partitions/tuned')).body.partitions[0].maxRunning).toBe(5);
    await row.getByRole('button', { name: 'Cancel' }).click();
    expect((await daemon.request('DELETE', '/partitions/tuned')).status).toBe(204);
  });

  it('deletes an empty partition after confirmation, and shows why a partition with processes stays', async () => {
    await made('/partitions', { name: 'empty' });
    const page = await open();
    const asked: string[] = [];
    page.on('dialog', (dialog) => asked.push(dialog.message()));
    await logIn(page, daemon.token);
    await openPartitions(page);
    await partitionRowOf(page, 'empty').waitFor();
    // The default partition cannot be deleted: its row offers no DELETE.
    expect(await partitionRowOf(page, 'default').getByRole('button', { name: 'Delete partition default' }).count()).toBe(0);

    const refused = await daemon.request('DELETE', '/partitions/lab');
    expect(refused.status).toBe(409);
    const lab = partitionRowOf(page, 'lab');
    await lab.getByRole('button', { name: 'Delete partition lab', exact: true }).click();
    expect(await waitForText(lab.locator('.outcome'), 'the refusal to delete lab', (text) => text.startsWith('DELETE lab:'))).toBe(
      `DELETE lab: ${refused.body.message as string}`,
    );
    expect((await daemon.request('GET', '/partitions/lab')).status).toBe(200);

    await partitionRowOf(page, 'empty').getByRole('button', { name: 'Delete partition empty', exact: true }).click();
    await waitFor('the row of empty to go', () => partitionRowOf(page, 'empty').count(), (count) => count === 0);
    expect((await daemon.request('GET', '/partitions/empty')).status).toBe(404);
    expect(asked).toEqual(['Delete partition lab? Its tokens stop working.', 'Delete partition empty? Its tokens stop working.']);
    expect(await page.locator('#partition-error').textContent()).toBe('');
  });

  it('makes a partition token that works, shows its secret once, and revokes it', async () => {
    await made('/partitions', { name: 'keyed' });
    const page = await open();
    const asked: string[] = [];
    page.on('dialog', (dialog) => asked.push(dialog.message()));
    await logIn(page, daemon.token);
    await openPartitions(page);
    const row = partitionRowOf(page, 'keyed');
    await row.waitFor();
    await row.getByRole('button', { name: 'Tokens of partition keyed', exact: true }).click();
    const tokens = row.getByRole('group', { name: 'Tokens of partition keyed' });
    await waitForText(tokens.locator('.token-list'), 'the empty list of tokens', (text) => text === 'No tokens.');

    await tokens.getByLabel('Label (optional)').fill('ci');
    await tokens.getByRole('button', { name: 'New token for partition keyed', exact: true }).click();
    const secret = tokens.getByLabel('New token for keyed');
    await secret.waitFor();
    const token = await secret.inputValue();
    expect(token).toMatch(/^sigma_p_/);
    expect(await secret.getAttribute('readonly')).not.toBeNull();
    expect(await tokens.textContent()).toContain('Shown only now');
    expect(await tokens.textContent()).toContain('SIGMA_TOKEN=');
    const listed = (await daemon.request('GET', '/partitions/keyed/tokens')).body.tokens as Array<{ id: number; label: string }>;
    expect(listed.map((entry) => entry.label)).toEqual(['ci']);
    const tokenId = listed[0]?.id as number;
    await waitForText(tokens.locator('.token-list'), 'the new token in the list', (text) => text.includes(`#${tokenId}`) && text.includes('ci'));
    // The token shown works against the API, confined to its partition.
    const asToken = await daemon.request('GET', '/processes', undefined, { authorization: `Bearer ${token}` });
    expect(asToken.status).toBe(200);
    expect(asToken.body.processes).toEqual([]);

    await tokens.getByRole('button', { name: `Revoke token ${tokenId} of partition keyed`, exact: true }).click();
    await waitForText(tokens.locator('.token-list'), 'the list without the token', (text) => text === 'No tokens.');
    expect(asked).toEqual([`Revoke token #${tokenId} (ci) of keyed? It stops working at once.`]);
    expect((await daemon.request('GET', '/processes', undefined, { authorization: `Bearer ${token}` })).status).toBe(401);
    // Closed, the secret is no longer on the page.
    await row.getByRole('button', { name: 'Tokens of partition keyed', exact: true }).click();
    expect(await page.locator('input[readonly]').evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value).filter((value) => value !== ''))).toEqual([]);
    expect((await daemon.request('DELETE', '/partitions/keyed')).status).toBe(204);
  });

  it('keeps the page within a phone and a tablet with the new-partition form, a limits editor and the tokens open', async () => {
    const page = await open(PHONE);
    await logIn(page, daemon.token);
    await openPartitions(page);
    const lab = partitionRowOf(page, 'lab');
    await lab.waitFor();
    await lab.getByRole('button', { name: 'Edit limits of partition lab', exact: true }).click();
    await lab.getByRole('form').getByLabel('Memory (MiB)').waitFor();
    expect(await lab.getByRole('form').getByLabel('Memory (MiB)').inputValue()).toBe('256');
    expect(await page.locator('#partition-form').isVisible()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    // Every field of the editor is within the phone's width.
    const rights = await lab.getByRole('form').locator('input, button').evaluateAll((elements) => elements.map((element) => element.getBoundingClientRect().right));
    expect(Math.max(...rights)).toBeLessThanOrEqual(PHONE.width);
    // And with the tokens open and a new token shown (revoked at the end).
    await lab.getByRole('button', { name: 'Tokens of partition lab', exact: true }).click();
    await lab.getByRole('button', { name: 'New token for partition lab', exact: true }).click();
    await lab.getByLabel('New token for lab').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    const tokenRights = await lab.getByRole('group').locator('input, button').evaluateAll((elements) => elements.map((element) => element.getBoundingClientRect().right));
    expect(Math.max(...tokenRights)).toBeLessThanOrEqual(PHONE.width);
    await page.setViewportSize(TABLET);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(TABLET.width);
    for (const token of (await daemon.request('GET', '/partitions/lab/tokens')).body.tokens as Array<{ id: number; label: string | null }>) {
      if (token.label === null) expect((await daemon.request('DELETE', `/partitions/lab/tokens/${token.id}`)).status).toBe(204);
    }
  });
});
