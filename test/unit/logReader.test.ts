// Reading a job's log back: whole, or its last lines, across the rotated copy.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readLog, TAIL_SCAN_BYTES } from '../../src/runtime/logReader.js';
import { makeTempDir, removeTempDirs } from '../support/tempDirs.js';

afterEach(removeTempDirs);

async function read(current: string | Buffer, rotated: string | Buffer | null, tailLines: number | null): Promise<string> {
  const path = join(makeTempDir('sigma-log-'), 'job.stdout.log');
  writeFileSync(path, current);
  if (rotated !== null) writeFileSync(`${path}.1`, rotated);
  const chunks: Buffer[] = [];
  for await (const chunk of readLog({ path, tailLines, follow: false, signal: new AbortController().signal })) chunks.push(chunk);
  return Buffer.concat(chunks).toString('latin1');
}

describe('the last lines of a log', () => {
  it.each([
    ['a\nb\nc\n', 1, 'c\n'],
    ['a\nb\nc\n', 2, 'b\nc\n'],
    ['a\nb\nc\n', 3, 'a\nb\nc\n'],
    ['a\nb\nc\n', 9, 'a\nb\nc\n'],
    ['a\nb\nc', 1, 'c'],
    ['a\nb\nc', 2, 'b\nc'],
    ['\nb\n', 1, 'b\n'],
    ['\nb\n', 2, '\nb\n'],
    ['\n', 1, '\n'],
    ['', 3, ''],
    ['a\n', 0, ''],
  ])('of %j, tail %i: %j', async (text, tail, expected) => {
    expect(await read(text, null, tail)).toBe(expected);
  });

  it('go on into the rotated copy when the current file has too few', async () => {
    expect(await read('d\ne\n', 'a\nb\nc\n', 3)).toBe('c\nd\ne\n');
    expect(await read('', 'a\nb\nc\n', 2)).toBe('b\nc\n');
    expect(await read('d\ne\n', 'a\nb\nc\n', null)).toBe('a\nb\nc\nd\ne\n');
  });

  it('find a line end that falls on a read boundary (64 KiB)', async () => {
    const first = `${'x'.repeat(64 * 1024 - 1)}\n`;
    expect(await read(`${first}y\n`, null, 1)).toBe('y\n');
    expect(await read(`z\n${first}`, null, 1)).toBe(first);
    expect(await read(`z\n${first}`, null, 2)).toBe(`z\n${first}`);
  });

  it(`read back no more than ${TAIL_SCAN_BYTES / 1024 / 1024} MiB, and only whole lines when they cut one`, async () => {
    const huge = 'h'.repeat(TAIL_SCAN_BYTES + 1000);
    expect((await read(`${huge}\n`, null, 1)).length).toBe(TAIL_SCAN_BYTES);
    expect(await read(`${huge}\nlast\n`, null, 2)).toBe('last\n');
    expect(await read(`${huge}\nlast\n`, null, 1)).toBe('last\n');
  });
});
