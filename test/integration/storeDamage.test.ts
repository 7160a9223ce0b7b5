// A store that lost its node (emptied, its WAL deleted or garbled) or whose file is damaged: the
// daemon refuses to start (exit 1), naming the store and what to do, rather than starting as a new
// empty node that leaves the old node's jobs running unmanaged.
import { closeSync, openSync, readFileSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../support/osProcesses.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

/** A node with a running job, killed outright (daemon and launcher) as a power cut would. */
async function nodeKilledWithAJob(): Promise<{ daemon: SigmaDaemon; nodeId: string; pid: number }> {
  const daemon = await SigmaDaemon.start();
  const created = await daemon.create({ name: 'survivor', command: ['sleep', '300'], state: 'RUNNING' });
  const { pid } = await daemon.process(created.body.processes[0].id);
  const nodeId = readFileSync(join(daemon.dataDir, 'node-id'), 'utf8').trim();
  await daemon.killOutright();
  return { daemon, nodeId, pid };
}

/** Why a daemon on this data dir did not start (it must not). */
async function refusalOf(dataDir: string): Promise<string> {
  const refusal = await SigmaDaemon.start({ dataDir }).then(
    () => null,
    (error: Error) => error.message,
  );
  if (refusal === null) throw new Error(`a daemon started on ${dataDir}`);
  return refusal;
}

function overwrite(path: string, offset: number, bytes: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

const LOSSES: readonly { readonly name: string; readonly inflict: (store: string) => void }[] = [
  { name: 'truncated to 0 bytes, with its WAL', inflict: (store) => [store, `${store}-wal`].forEach((path) => truncateSync(path, 0)) },
  { name: 'without its WAL (deleted)', inflict: (store) => rmSync(`${store}-wal`) },
  // The WAL's header (magic number, salts, checksum) garbled: SQLite ignores the whole file.
  { name: 'with its WAL garbled', inflict: (store) => overwrite(`${store}-wal`, 0, Buffer.alloc(32, 0xa5)) },
];

describe.each(LOSSES)('a store $name', ({ inflict }) => {
  it('is refused at start, naming the store, the node it lost and what to do; the old node is not replaced', async () => {
    const { daemon, nodeId, pid } = await nodeKilledWithAJob();
    const store = join(daemon.dataDir, 'sigma.db');
    inflict(store);

    expect(await refusalOf(daemon.dataDir)).toMatch(/exited 1/);
    // Refused again: the refused start made no node in the store.
    const refused = await refusalOf(daemon.dataDir);
    expect(refused).toContain(`the store ${store} has lost node ${nodeId}`);
    expect(refused).toMatch(/Restore the store, with its -wal file, from a backup/);
    expect(refused).toContain(`remove ${join(daemon.dataDir, 'node-id')}`);
    expect(readFileSync(join(daemon.dataDir, 'node-id'), 'utf8').trim(), 'the node keeps its id').toBe(nodeId);
    expect(isAlive(pid), 'nothing of the old node was touched').toBe(true);
  });
});

describe('a damaged store file', () => {
  it('is named at start when SQLite finds its structure broken (PRAGMA quick_check)', async () => {
    const daemon = await SigmaDaemon.start();
    for (let index = 0; index < 40; index += 1) await daemon.create({ name: `p${index}`, command: ['true'], env: { FILL: 'x'.repeat(500) } });
    expect(await daemon.stop()).toBe(0);
    const store = join(daemon.dataDir, 'sigma.db');
    // The cell pointers of the processes' table's root page (page numbers count from 1).
    const db = new Database(store, { readonly: true });
    const { rootpage } = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'processes'").get() as { rootpage: number };
    const pageBytes = db.pragma('page_size', { simple: true }) as number;
    db.close();
    overwrite(store, pageBytes * (rootpage - 1) + 12, Buffer.alloc(64, 0xff));

    const refused = await refusalOf(daemon.dataDir);
    expect(refused).toMatch(/exited 1/);
    expect(refused).toContain(`the store ${store} is damaged (PRAGMA quick_check: `);
    expect(refused).toMatch(/restore it, with its -wal file, from a backup/);
    expect(refused.trimEnd().split('\n').at(-1), 'said on one line').toContain('PRAGMA quick_check');
  });

  it('is named at start when a value in it is garbled', async () => {
    const daemon = await SigmaDaemon.start();
    await daemon.create({ name: 'garbled', command: ['true'], env: { MARK: 'garble-here' } });
    expect(await daemon.stop()).toBe(0);
    const store = join(daemon.dataDir, 'sigma.db');
    const at = readFileSync(store).indexOf('"MARK"');
    expect(at, 'the env value is in the store file').toBeGreaterThan(0);
    // The quote after the name goes: the text is no longer JSON, and SQLite's checks cannot tell.
    overwrite(store, at + 5, Buffer.from('x'));

    const refused = await refusalOf(daemon.dataDir);
    expect(refused).toMatch(/exited 1/);
    expect(refused).toContain(`the store ${store} is damaged (process 1:`);
  });
});
