// The dashboard with partitions, in Debian's Chromium against a real daemon: the Partition
// column and filter, the partitions panel, and a tab logged in with a partition token, which
// sees and creates in its own partition only (and is not broken by the node-wide routes it may not read).
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { cellOf, createProcess, LAPTOP, launchChromium, logIn, openDashboard, rowOf, waitForText } from './dashboardPage.js';

let daemon: SigmaDaemon;
let browser: Browser;
const pages: Page[] = [];
const problems: string[] = [];

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
});
