// The dashboard on a node of a fleet, in Debian's Chromium against two real daemons on one real
// etcd member: a Node column says where each process is and marks a node that is down, a nodes
// panel lists the fleet, and the create form places a process on the node chosen. Events of the
// other node never reach this node's stream: the page reads the fleet again on its own, so a node
// that dies shows as down without a reload. On a node started without --fleet the page is as before.
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EtcdCluster, ETCD_MISSING, fleetArgs } from '../support/etcdCluster.js';
import { isAlive } from '../support/osProcesses.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';
import { cellOf, LAPTOP, launchChromium, logIn, openDashboard, rowOf, waitForState, waitForText } from './dashboardPage.js';

let browser: Browser;
let cluster: EtcdCluster | null = null;
const pages: Page[] = [];
const problems: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterEach(async () => {
  for (const page of pages.splice(0)) await page.context().close();
  await cleanUpDaemons();
  await cluster?.stop();
  cluster = null;
  expect(problems.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
});


/** Two nodes that see each other up (they read the fleet every 1.3 s: one more round, so each has read the other). */
async function twoNodes(): Promise<{ etcd: EtcdCluster; a: SigmaDaemon; b: SigmaDaemon }> {
  const etcd = await EtcdCluster.start(1);
  cluster = etcd;
  const a = await SigmaDaemon.start({ args: fleetArgs(etcd.endpoints, 'rig-a', 'rig=a', 'room=lab') });
  const b = await SigmaDaemon.start({ args: fleetArgs(etcd.endpoints, 'rig-b', 'rig=b') });
  await waitFor(
    'rig-a and rig-b up, seen from rig-a',
    async () => (await a.request('GET', '/nodes')).body.nodes as Array<{ name: string; status: string }>,
    (nodes) => nodes.filter((node) => node.status === 'up').length === 2,
    15_000,
  );
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return { etcd, a, b };
}

/** A `sleep 300` created on rig-b through rig-a, once its job runs: its id and the job's pid. */
async function runningOnB(a: SigmaDaemon, name: string, relocatable = false): Promise<{ id: number; pid: number }> {
  const created = await a.create({ name, command: ['sleep', '300'], node: 'rig-b', state: 'RUNNING', ...(relocatable ? { relocatable } : {}) });
  expect(created.status, created.text).toBe(201);
  const id = created.body.processes[0].id as number;
  const process = await waitFor(`${name} to run on rig-b`, () => a.process(id), (found) => found?.state === 'RUNNING' && found.pid !== null);
  return { id, pid: process.pid as number };
}

async function open(url: string, token: string): Promise<Page> {
  const page = await openDashboard(browser, url, LAPTOP, problems);
  pages.push(page);
  await logIn(page, token);
  return page;
}

function nodeRowOf(page: Page, node: string): Locator {
  return page.locator(`#node-rows tr[data-node="${node}"]`);
}

/** Waits until the nodes panel shows the node with this status and running jobs. */
async function waitForNode(page: Page, node: string, status: string, runningJobs: string): Promise<void> {
  const row = nodeRowOf(page, node);
  await waitFor(
    `the nodes panel to show ${node} ${status} with ${runningJobs} running jobs`,
    async () => [await cellOf(row, 'Status').textContent({ timeout: 1000 }).catch(() => null), await cellOf(row, 'Running jobs').textContent({ timeout: 1000 }).catch(() => null)],
    ([shownStatus, shownJobs]) => shownStatus === status && shownJobs === runningJobs,
    15_000,
  );
}

describe.skipIf(ETCD_MISSING !== null)('the dashboard on a node of a fleet', () => {
  it("shows each process's node and the fleet's nodes, and creates a process on the node chosen in the form", async () => {
    const { a, b } = await twoNodes();
    const onB = await runningOnB(a, 'on-b');
    const page = await open(a.url, a.token);

    await waitForText(cellOf(rowOf(page, 'on-b'), 'Node'), 'the Node column to show rig-b', (text) => text === 'rig-b');
    expect(await page.getByRole('columnheader', { name: 'Node', exact: true }).isVisible()).toBe(true);
    expect(await cellOf(rowOf(page, 'on-b'), 'Node').locator('.node-down').count()).toBe(0);

    await page.getByRole('heading', { name: /^Nodes/ }).waitFor();
    await waitForNode(page, 'rig-a', 'up', '0');
    await waitForNode(page, 'rig-b', 'up', '1');
    expect(await nodeRowOf(page, 'rig-a').locator('.node-label').allTextContents()).toEqual(['rig=a', 'room=lab']);
    expect(await nodeRowOf(page, 'rig-b').locator('.node-label').allTextContents()).toEqual(['rig=b']);
    expect(await nodeRowOf(page, 'rig-b').getByRole('link').textContent()).toBe(b.url);
    expect(await page.locator('#nodes-title').textContent()).toBe('Nodes (2 of 2 up)');
    expect(await page.locator('#nodes-fleet').textContent()).toBe('etcd: connected.');

    // The form offers the nodes that are up; the one chosen gets the process, relocatable as ticked.
    const form = page.locator('#create-form');
    const nodeField = form.getByLabel('Node', { exact: true });
    await waitFor('the form to offer both nodes', () => nodeField.locator('option').allTextContents(), (options) => options.length === 3);
    expect(await nodeField.locator('option').allTextContents()).toEqual(['any node', 'rig-a', 'rig-b']);
    await form.getByLabel('Name').fill('placed');
    await nodeField.selectOption('rig-b');
    await form.getByLabel('Relocatable').check();
    await form.getByLabel('Command').fill('sleep 301');
    await form.getByLabel('Start now').check();
    await form.getByRole('button', { name: 'Create' }).click();
    await waitForText(form.locator('#create-message'), 'the create form to answer', (text) => /^Created placed \(id \d+\), RUNNING\.$/.test(text));
    const placed = await a.processNamed('placed');
    expect(placed).toMatchObject({ node: 'rig-b', relocatable: true, state: 'RUNNING' });
    await waitForText(cellOf(rowOf(page, 'placed'), 'Node'), 'the Node column to show rig-b for placed', (text) => text === 'rig-b');
    await waitForNode(page, 'rig-b', 'up', '2');
    // The form is back to "any node", unticked, for the next one.
    expect(await nodeField.inputValue()).toBe('');
    expect(await form.getByLabel('Relocatable').isChecked()).toBe(false);

    for (const id of [onB.id, placed.id as number]) expect((await a.operate(id, 'STOP')).body.processes[0].result).toBe('OK');
    await waitFor("rig-b's jobs to end", () => [onB.pid, placed.pid as number].filter(isAlive), (alive) => alive.length === 0);
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
  }, 90_000);

  it('shows a node whose daemon was killed as down, its process marked so and a relocatable one moved, without a reload', async () => {
    const { etcd, a, b } = await twoNodes();
    const onB = await runningOnB(a, 'on-b');
    const mover = await runningOnB(a, 'mover', true);
    const page = await open(a.url, a.token);
    const nodeCell = cellOf(rowOf(page, 'on-b'), 'Node');
    const moverNodeCell = cellOf(rowOf(page, 'mover'), 'Node');
    await waitForText(nodeCell, 'the Node column to show rig-b', (text) => text === 'rig-b');
    await waitForText(moverNodeCell, 'the Node column to show rig-b for mover', (text) => text === 'rig-b');
    await waitForNode(page, 'rig-b', 'up', '2');

    await b.kill();
    await waitForText(nodeCell, 'on-b to show its node down', (text) => text === 'rig-b down', 15_000);
    expect(await nodeCell.locator('.node-down').isVisible()).toBe(true);
    await waitForNode(page, 'rig-b', 'down', '—');
    await waitForNode(page, 'rig-a', 'up', '0');
    expect(await page.locator('#nodes-title').textContent()).toBe('Nodes (1 of 2 up)');
    // Shown as etcd last recorded it: RUNNING, and so it is, its job held by rig-b's launcher.
    await waitForState(page, 'on-b', 'RUNNING');
    expect(isAlive(onB.pid)).toBe(true);
    // The relocatable one runs on rig-a now, as the page shows.
    await waitForText(moverNodeCell, 'mover to show rig-a', (text) => text === 'rig-a', 20_000);
    await waitForState(page, 'mover', 'RUNNING');
    const moved = await waitFor('mover running on rig-a', () => a.process(mover.id), (found) => found?.node === 'rig-a' && found.pid !== null);
    await waitForNode(page, 'rig-a', 'up', '1');

    // rig-b comes back on its data dir, adopts the job, and the page shows it up again.
    const back = await SigmaDaemon.start({ dataDir: b.dataDir, args: fleetArgs(etcd.endpoints, 'rig-b', 'rig=b') });
    await waitForText(nodeCell, 'on-b to show its node up again', (text) => text === 'rig-b', 20_000);
    await waitForNode(page, 'rig-b', 'up', '1');
    expect(await moverNodeCell.textContent()).toBe('rig-a');
    for (const id of [onB.id, mover.id]) expect((await a.operate(id, 'STOP')).body.processes[0].result).toBe('OK');
    await waitFor('the jobs of on-b and mover to end', () => [onB.pid, mover.pid, moved.pid as number].filter(isAlive), (alive) => alive.length === 0);
    expect(await a.stop()).toBe(0);
    expect(await back.stop()).toBe(0);
  }, 90_000);
});

describe('the dashboard on a node started without --fleet', () => {
  it('has no Node column, no nodes panel and no node fields, and reads the list only when its events ask', async () => {
    const alone = await SigmaDaemon.start();
    expect((await alone.create({ name: 'here', command: ['sleep', '300'] })).status).toBe(201);
    const page = await openDashboard(browser, alone.url, LAPTOP, problems);
    pages.push(page);
    const paths: string[] = [];
    page.on('request', (request) => paths.push(`${request.method()} ${new URL(request.url()).pathname}`));
    await logIn(page, alone.token);
    await waitForState(page, 'here', 'DORMANT');
    await waitForText(page.locator('#connection'), 'the event stream to be live', (text) => text === 'Live');

    expect(await page.getByRole('columnheader', { name: 'Node', exact: true }).isVisible()).toBe(false);
    expect(await cellOf(rowOf(page, 'here'), 'Node').isVisible()).toBe(false);
    expect(await page.locator('#nodes').isVisible()).toBe(false);
    expect(await page.locator('#create-form').getByLabel('Node', { exact: true }).isVisible()).toBe(false);
    expect(await page.locator('#create-form').getByLabel('Relocatable').isVisible()).toBe(false);

    // Longer than a fleet's read period: no read of the list or of the nodes but the first.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(paths.filter((path) => path === 'GET /processes')).toHaveLength(2);
    expect(paths.filter((path) => path.endsWith('/nodes'))).toEqual([]);
    expect(await alone.stop()).toBe(0);
  });
});
