import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { RotatingLogFile } from '../../src/runtime/rotatingLogFile.js';
import { makeTempDir, removeTempDirs } from '../support/tempDirs.js';

afterEach(removeTempDirs);

const tempPath = (): string => join(makeTempDir('sigma-log-'), '1.stdout.log');

async function writeAll(file: RotatingLogFile, chunks: Buffer[]): Promise<void> {
  for (const chunk of chunks) if (!file.write(chunk)) await once(file, 'drain');
  file.end();
  await once(file, 'finish');
}

describe('RotatingLogFile', () => {
  it('keeps the file under its cap by rotating to <file>.1, keeping the newest output', async () => {
    const path = tempPath();
    const file = new RotatingLogFile(path, 1000, () => {});
    const lines = Array.from({ length: 250 }, (_, i) => Buffer.from(`line ${String(i).padStart(4, '0')}\n`));
    await writeAll(file, lines);
    expect(statSync(path).size).toBeLessThanOrEqual(1000);
    expect(statSync(`${path}.1`).size).toBeLessThanOrEqual(1000);
    expect(readFileSync(path, 'utf8').trimEnd().split('\n').at(-1)).toBe('line 0249');
    const kept = `${readFileSync(`${path}.1`, 'utf8')}${readFileSync(path, 'utf8')}`;
    expect(kept.endsWith('line 0248\nline 0249\n')).toBe(true);
  });

  it('appends to what an earlier daemon wrote, counting its size', async () => {
    const path = tempPath();
    await writeAll(new RotatingLogFile(path, 1000, () => {}), [Buffer.from('a'.repeat(900))]);
    await writeAll(new RotatingLogFile(path, 1000, () => {}), [Buffer.from('b'.repeat(200))]);
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('a'.repeat(900));
    expect(readFileSync(path, 'utf8')).toBe('b'.repeat(200));
  });

  it('reports a file it cannot write once, drops the output and keeps accepting writes', async () => {
    const errors: string[] = [];
    const file = new RotatingLogFile('/nonexistent-dir/x.log', 1000, (error) => errors.push(error.code ?? '?'));
    await writeAll(file, [Buffer.from('one\n'), Buffer.from('two\n'), Buffer.from('three\n')]);
    expect(errors).toEqual(['ENOENT']);
  });

  it('never writes through a link, nor into a FIFO, in the file\'s place', async () => {
    const path = tempPath();
    const target = join(makeTempDir('sigma-log-target-'), 'precious');
    writeFileSync(target, 'kept\n');
    symlinkSync(target, path);
    const errors: string[] = [];
    await writeAll(new RotatingLogFile(path, 1000, (error) => errors.push(error.code ?? '?')), [Buffer.from('output\n')]);
    expect(errors).toEqual(['ELOOP']);
    expect(readFileSync(target, 'utf8')).toBe('kept\n');

    const fifo = tempPath();
    execFileSync('mkfifo', [fifo]);
    errors.length = 0;
    // Without a reader, an open that waited for one would never return.
    await writeAll(new RotatingLogFile(fifo, 1000, (error) => errors.push(error.code ?? '?')), [Buffer.from('output\n')]);
    expect(errors).toEqual(['ENXIO']);
  });
});
