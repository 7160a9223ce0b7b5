// A job whose cgroup cannot be made: not started when its partition has cgroup limits (it would
// run outside them), started and tracked by its process group otherwise.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { JobCgroups } from '../../src/runtime/jobCgroups.js';
import { ProcessGroupLauncher, type LaunchSpec } from '../../src/runtime/jobLauncher.js';

/** A hierarchy where making a job's cgroup fails, as with a full or read-only cgroup file system. */
const refusingCgroups = {
  tracking: { mode: 'cgroup-v1', parentPath: '/nowhere', reason: 'a hierarchy that refuses' },
  create: () => {
    throw Object.assign(new Error('ENOSPC: no space left on device, mkdir'), { code: 'ENOSPC' });
  },
  leftovers: () => [],
  removeParent: () => true,
} as unknown as JobCgroups;

function spec(needsCgroup: boolean): LaunchSpec & { released: () => boolean } {
  let released = false;
  const sink = new PassThrough().resume();
  return {
    command: ['true'],
    cwd: null,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    output: { stdout: sink, stderr: sink, release: () => void (released = true) },
    stragglerGraceMs: 100,
    jobKey: 'process-1',
    partition: 'lab',
    needsCgroup,
    released: () => released,
  };
}

describe('a job whose cgroup cannot be made', () => {
  it('is not started when its partition has cgroup limits, and says why', async () => {
    const failing = spec(true);
    const result = await new ProcessGroupLauncher(refusingCgroups).launch(failing);
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/cgroup in partition lab cannot be made \(ENOSPC.*not started outside its partition's limits/) });
    expect(failing.released()).toBe(true);
  });

  it('runs, tracked by its process group, when its partition has none', async () => {
    const errors: string[] = [];
    const launcher = new ProcessGroupLauncher(refusingCgroups, (jobKey) => errors.push(jobKey));
    const result = await launcher.launch(spec(false));
    expect(result.ok).toBe(true);
    if (result.ok) expect(await result.job.ended).toMatchObject({ exitCode: 0, oomKilled: false });
    expect(errors).toEqual(['process-1']);
  });
});
