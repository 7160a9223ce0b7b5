// Drives the dashboard in Debian's Chromium (never a downloaded browser) against a real daemon,
// the way a user does: by labels, button texts and what the page shows.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { cleanUpDaemons, type SigmaDaemon } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

export const CHROMIUM_PATH = process.env['SIGMA_CHROMIUM'] ?? '/usr/bin/chromium';

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
export const TABLET = { width: 800, height: 1024 };
/** The most common laptop screen: the list, the details and the create form must start within it. */
export const SMALL_LAPTOP = { width: 1366, height: 768 };

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: install Debian's (apt-get install chromium) or set SIGMA_CHROMIUM to its path`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A tab on the dashboard; uncaught errors of the page's code are added to `problems`. */
export async function openDashboard(browser: Browser, url: string, viewport: { width: number; height: number }, problems: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport, ignoreHTTPSErrors: url.startsWith('https:') });
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`uncaught in the page: ${error.message}`));
  // DELETE asks for confirmation; the tests confirm.
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(url);
  return page;
}

export async function logIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('Node token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: /^Processes/ }).waitFor();
}

export interface CreateFields {
  name: string;
  periodic?: number;
  command?: string;
  cwd?: string;
  env?: string;
  startNow?: boolean;
  /** The partition to choose; left as the form offers it when absent. */
  partition?: string;
}

export async function createProcess(page: Page, fields: CreateFields): Promise<string> {
  const form = page.locator('#create-form');
  await form.getByLabel('Name').fill(fields.name);
  if (fields.partition !== undefined) await form.getByLabel('Partition').selectOption(fields.partition);
  if (fields.periodic !== undefined) {
    await form.getByLabel('Periodic').check();
    await form.getByLabel('Period (ms)').fill(String(fields.periodic));
  } else {
    await form.getByLabel('One-shot').check();
  }
  await form.getByLabel('Command').fill(fields.command ?? '');
  await form.getByLabel('Working directory').fill(fields.cwd ?? '');
  await form.getByLabel('Environment').fill(fields.env ?? '');
  await form.getByLabel('Start now').setChecked(fields.startNow ?? false);
  const message = form.locator('#create-message');
  await form.getByRole('button', { name: 'Create' }).click();
  return waitFor(
    `the create form to answer for ${fields.name}`,
    () => message.textContent(),
    (text) => text !== null && text !== '' && text !== 'Creating…',
  ).then((text) => text ?? '');
}

export function rowOf(page: Page, name: string): Locator {
  return page.locator('#process-rows tr', { has: page.getByRole('button', { name: `${name}: show details`, exact: true }) });
}

export function cellOf(row: Locator, label: string): Locator {
  return row.locator(`[data-label="${label}"]`);
}

/** Waits until the row's state badge shows `state` (the page is never reloaded meanwhile). */
export async function waitForState(page: Page, name: string, state: string): Promise<void> {
  const badge = rowOf(page, name).locator('.state');
  await waitFor(`${name} to show ${state}`, () => badge.textContent({ timeout: 1000 }).catch(() => null), (text) => text === state, 15_000);
}

/** Clicks an operation button of a process and returns the result line the row shows. */
export async function operate(page: Page, name: string, operation: string): Promise<string> {
  const row = rowOf(page, name);
  const outcome = row.locator('.outcome');
  await row.getByRole('button', { name: operation, exact: true }).click();
  const text = await waitFor(
    `the result of ${operation} on ${name}`,
    () => outcome.textContent(),
    (value) => value !== null && value.startsWith(`${operation}:`),
    15_000,
  );
  return text ?? '';
}

/** The operations of a process's row, each `enabled` or, disabled, the reason its tooltip gives. */
export async function operationStates(page: Page, name: string): Promise<Record<string, string>> {
  const buttons = rowOf(page, name).locator('.operations button');
  const pairs = await buttons.evaluateAll((elements) =>
    elements.map((element) => {
      const button = element as HTMLButtonElement;
      return [button.textContent ?? '', button.disabled ? `disabled: ${button.title}` : 'enabled'] as const;
    }),
  );
  return Object.fromEntries(pairs);
}

/** Waits until a process's operations are offered as `expected` says (they follow its state from the event stream). */
export async function waitForOperations(page: Page, name: string, expected: Record<string, string>): Promise<void> {
  const inOrder = (states: Record<string, string>): string => JSON.stringify(Object.entries(states).sort(([a], [b]) => a.localeCompare(b)));
  const wanted = inOrder(expected);
  await waitFor(`the operations of ${name} to be ${wanted}`, () => operationStates(page, name), (states) => inOrder(states) === wanted, 15_000);
}

/** Opens the partitions panel, which the page shows closed. */
export async function openPartitions(page: Page): Promise<void> {
  const toggle = page.getByRole('button', { name: /^Partitions/ });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await page.locator('#partitions-body').waitFor({ state: 'visible' });
}

export function partitionRowOf(page: Page, partition: string): Locator {
  return page.locator(`#partition-rows tr[data-partition="${partition}"]`);
}

/** The button of an operation on a whole partition, by the name a screen reader says: "Stop partition lab". */
export function partitionButton(page: Page, partition: string, operation: string): Locator {
  const verb = operation.charAt(0) + operation.slice(1).toLowerCase();
  return partitionRowOf(page, partition).getByRole('button', { name: `${verb} partition ${partition}`, exact: true });
}

/** Clicks an operation button of a partition and returns the result line its row shows. */
export async function operatePartition(page: Page, partition: string, operation: string): Promise<string> {
  await partitionButton(page, partition, operation).click();
  return waitForText(partitionRowOf(page, partition).locator('.outcome'), `the result of ${operation} on partition ${partition}`, (text) =>
    text.startsWith(`${operation} ${partition}:`),
  );
}

export async function waitForText(locator: Locator, what: string, accept: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
  return waitFor(what, async () => (await locator.textContent({ timeout: 1000 }).catch(() => null)) ?? '', accept, timeoutMs);
}

export interface PartitionFields {
  name: string;
  maxRunning?: string;
  cpu?: string;
  memoryMiB?: string;
  pids?: string;
}

/** Fills the "New partition" form (a field not given is left empty) and returns what the form then says. */
export async function createPartition(page: Page, fields: PartitionFields): Promise<string> {
  const form = page.locator('#partition-form');
  await form.getByLabel('Name').fill(fields.name);
  await form.getByLabel('Max running').fill(fields.maxRunning ?? '');
  await form.getByLabel('CPU (cores)').fill(fields.cpu ?? '');
  await form.getByLabel('Memory (MiB)').fill(fields.memoryMiB ?? '');
  await form.getByLabel('Pids').fill(fields.pids ?? '');
  await form.getByRole('button', { name: 'Create partition' }).click();
  return waitForText(form.locator('#partition-message'), `the new-partition form to answer for ${fields.name}`, (text) => text !== '' && text !== 'Creating…');
}

/** Opens a partition row's limits editor, sets the fields given ("" empties one), saves, and returns what the row says. */
export async function editPartitionLimits(page: Page, partition: string, fields: Omit<PartitionFields, 'name'>): Promise<string> {
  const row = partitionRowOf(page, partition);
  await row.getByRole('button', { name: `Edit limits of partition ${partition}`, exact: true }).click();
  const editor = row.getByRole('form', { name: `Limits of partition ${partition}` });
  const labels: Array<[keyof typeof fields, string]> = [
    ['maxRunning', 'Max running'],
    ['cpu', 'CPU (cores)'],
    ['memoryMiB', 'Memory (MiB)'],
    ['pids', 'Pids'],
  ];
  for (const [field, label] of labels) {
    const value = fields[field];
    if (value !== undefined) await editor.getByLabel(label).fill(value);
  }
  await editor.getByRole('button', { name: `Save limits of partition ${partition}`, exact: true }).click();
  return waitForText(row.locator('.outcome'), `the answer to the new limits of ${partition}`, (text) => text.startsWith(`Limits of ${partition}`) && !text.endsWith('…'));
}

/** After a test: its pages closed, and every process on the daemon deleted (which ends their jobs). */
export async function closePagesAndDeleteProcesses(pages: Page[], daemon: SigmaDaemon): Promise<void> {
  for (const page of pages.splice(0)) await page.context().close();
  const reply = await daemon.request('GET', '/processes');
  for (const process of reply.body?.processes ?? []) await daemon.request('DELETE', `/processes/${process.id}`);
}

/** After a file's tests: the browser closed, the daemon stopped (exit 0) and any other ended. */
export async function endBrowserAndDaemon(browser: Browser | undefined, daemon: SigmaDaemon | undefined): Promise<void> {
  await browser?.close();
  if (daemon) expect(await daemon.stop()).toBe(0);
  await cleanUpDaemons();
}
