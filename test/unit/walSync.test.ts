// The store's WAL sync: one fdatasync at a time, a caller arriving meanwhile waits for the next
// one (which covers its write), and a missing file is an error that the next sync recovers from.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { WalSync } from '../../src/runtime/walSync.js';

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

it('syncs the file, and callers that arrive while a sync runs share the next one', async () => {
  dir = mkdtempSync(join(tmpdir(), 'sigma-wal-'));
  const path = join(dir, 'store.db-wal');
  writeFileSync(path, 'frames');
  const wal = new WalSync(path);
  const first = wal.sync();
  const second = wal.sync();
  const third = wal.sync();
  expect(second).toBe(third);
  expect(second).not.toBe(first);
  await expect(Promise.all([first, second, third])).resolves.toEqual([undefined, undefined, undefined]);
  // Idle again: a new call starts a sync of its own.
  const fourth = wal.sync();
  expect(fourth).not.toBe(second);
  await fourth;
  await wal.close();
});

it('rejects while the file is missing, and syncs once it is there', async () => {
  dir = mkdtempSync(join(tmpdir(), 'sigma-wal-'));
  const path = join(dir, 'store.db-wal');
  const wal = new WalSync(path);
  await expect(wal.sync()).rejects.toMatchObject({ code: 'ENOENT' });
  writeFileSync(path, 'frames');
  await expect(wal.sync()).resolves.toBeUndefined();
  await wal.close();
});
