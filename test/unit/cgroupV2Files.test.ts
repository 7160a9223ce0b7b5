// The cgroup v2 adapters against a directory tree that stands in for the kernel's: which files
// they write with which values, and what they read back. (This machine's unified hierarchy has no
// controller to hold a limit; the kernel's side of these files is not exercised here.)
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { V2JobCgroups } from '../../src/runtime/cgroupV2.js';
import { delegateV2Controllers } from '../../src/runtime/cgroupV2Delegation.js';
import { V2PartitionCgroups } from '../../src/runtime/partitionCgroupsV2.js';
import { restorable, type LimitSupport } from '../../src/runtime/partitionLimits.js';
import { makeTempDir, removeTempDirs } from '../support/tempDirs.js';

afterEach(removeTempDirs);

const ALL_HELD: LimitSupport = { cpu: null, memoryBytes: null, pids: null };

/** The daemon's cgroup with the controllers its parent hands it, and sigma's parent below it. */
function fakeTree(controllers: string): { own: string; parent: string } {
  const own = makeTempDir('sigma-v2-');
  writeFileSync(join(own, 'cgroup.controllers'), controllers);
  writeFileSync(join(own, 'cgroup.subtree_control'), '');
  const parent = join(own, 'sigma-node');
  mkdirSync(parent);
  writeFileSync(join(parent, 'cgroup.subtree_control'), '');
  return { own, parent };
}

function read(path: string): string {
  return readFileSync(path, 'latin1');
}

describe('handing the controllers down (cgroup.subtree_control)', () => {
  it('hands down each limit\'s controller the daemon\'s cgroup has', () => {
    const { own, parent } = fakeTree('cpuset cpu io memory pids\n');
    expect(delegateV2Controllers(own, parent)).toEqual({ controllers: ['cpu', 'memory', 'pids'], support: ALL_HELD });
    expect(read(join(parent, 'cgroup.subtree_control'))).toBe('+pids');
  });

  it('says of each controller the daemon\'s cgroup lacks why its limit cannot hold', () => {
    const { own, parent } = fakeTree('memory\n');
    const { controllers, support } = delegateV2Controllers(own, parent);
    expect(controllers).toEqual(['memory']);
    expect(support.memoryBytes).toBeNull();
    expect(support.cpu).toMatch(/^cgroup v2: the cpu controller is not available in the daemon's cgroup .*cgroup\.controllers/);
    expect(support.pids).toMatch(/the pids controller is not available/);
  });
});

describe('a partition\'s limits (cpu.max, memory.max, memory.swap.max, pids.max)', () => {
  it('writes each set limit, lifts each unset one, and hands the controllers on to the jobs', () => {
    const { parent } = fakeTree('cpu memory pids');
    const partitions = new V2PartitionCgroups(parent, ['cpu', 'memory', 'pids'], ALL_HELD);
    const dir = join(parent, 'partition-lab');
    mkdirSync(dir);
    // Present where the kernel accounts swap.
    writeFileSync(join(dir, 'memory.swap.max'), 'max');

    expect(partitions.apply('lab', { cpu: 0.25, memoryBytes: 64 * 1024 * 1024, pids: 10 })).toEqual([]);
    expect(read(join(dir, 'cgroup.subtree_control'))).toBe('+cpu +memory +pids');
    expect(read(join(dir, 'cpu.max'))).toBe('25000 100000');
    expect(read(join(dir, 'memory.max'))).toBe('67108864');
    expect(read(join(dir, 'memory.swap.max'))).toBe('0');
    expect(read(join(dir, 'pids.max'))).toBe('10');

    expect(partitions.apply('lab', { cpu: 0.001, memoryBytes: null, pids: null })).toEqual([]);
    expect(read(join(dir, 'cpu.max')), 'the smallest quota the kernel takes').toBe('1000 100000');
    expect(read(join(dir, 'memory.max'))).toBe('max');
    expect(read(join(dir, 'memory.swap.max'))).toBe('max');
    expect(read(join(dir, 'pids.max'))).toBe('max');
  });

  it('answers a refused write and an unsupported limit as limits not held, never throwing', () => {
    const { parent } = fakeTree('cpu memory pids');
    const partitions = new V2PartitionCgroups(parent, ['memory', 'pids'], { ...ALL_HELD, cpu: 'no cpu controller here' });
    // A directory where the kernel has a file: every write to it fails.
    mkdirSync(join(parent, 'partition-lab', 'pids.max'), { recursive: true });
    expect(partitions.apply('lab', { cpu: 2, memoryBytes: null, pids: 7 })).toEqual([
      { limit: 'cpu', reason: 'no cpu controller here' },
      { limit: 'pids', reason: expect.stringMatching(/^the kernel refused 7 in .*pids\.max \(EISDIR: /) },
    ]);
  });

  it('reads the accounting: cpu.stat usage_usec, memory.current, pids.current', () => {
    const { parent } = fakeTree('cpu memory pids');
    const partitions = new V2PartitionCgroups(parent, ['cpu', 'memory', 'pids'], ALL_HELD);
    expect(partitions.usage('lab')).toEqual({ cpuMs: null, memoryBytes: null, pids: null });
    const dir = join(parent, 'partition-lab');
    mkdirSync(dir);
    writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n');
    writeFileSync(join(dir, 'memory.current'), '4096\n');
    writeFileSync(join(dir, 'pids.current'), '3\n');
    expect(partitions.usage('lab')).toEqual({ cpuMs: 123.456, memoryBytes: 4096, pids: 3 });
  });
});

describe('job cgroups in partitions', () => {
  it('makes a job\'s cgroup in its partition\'s, finds leftovers in both layouts, and reads its OOM kills', () => {
    const { own, parent } = fakeTree('cpu memory pids');
    const partitions = restorable(new V2PartitionCgroups(parent, ['memory'], ALL_HELD));
    const cgroups = new V2JobCgroups(own, parent, (partition) => partitions.restore(partition));
    const job = cgroups.create('process-1', 'lab');
    expect(job.path).toBe(join(parent, 'partition-lab', 'process-1'));
    expect(read(join(parent, 'partition-lab', 'cgroup.subtree_control'))).toBe('+memory');
    expect(cgroups.create('process-1', 'lab').path, 'a name left over is not reused').toBe(join(parent, 'partition-lab', 'process-1.2'));
    mkdirSync(join(parent, 'process-7'));
    expect(cgroups.leftovers().map((leftover) => leftover.path).sort()).toEqual(
      [join(parent, 'partition-lab', 'process-1'), join(parent, 'partition-lab', 'process-1.2'), join(parent, 'process-7')].sort(),
    );

    expect(job.oomKilled()).toBe(false);
    writeFileSync(join(job.path, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 0\n');
    expect(job.oomKilled()).toBe(false);
    writeFileSync(join(job.path, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n');
    expect(job.oomKilled()).toBe(true);
  });

  it('makes a partition\'s cgroup removed from outside again with its limits before a job goes in', () => {
    const { own, parent } = fakeTree('cpu memory pids');
    const partitions = restorable(new V2PartitionCgroups(parent, ['memory', 'pids'], ALL_HELD));
    const cgroups = new V2JobCgroups(own, parent, (partition) => partitions.restore(partition));
    expect(partitions.apply('lab', { cpu: null, memoryBytes: 64 * 1024 * 1024, pids: 10 })).toEqual([]);
    const dir = join(parent, 'partition-lab');
    rmSync(dir, { recursive: true });

    expect(cgroups.create('process-1', 'lab').path).toBe(join(dir, 'process-1'));
    expect(read(join(dir, 'memory.max'))).toBe('67108864');
    expect(read(join(dir, 'pids.max'))).toBe('10');
    // A partition deleted (its limits forgotten) comes back without any.
    expect(partitions.remove('lab')).toBe(false);
    rmSync(dir, { recursive: true });
    cgroups.create('process-2', 'lab');
    expect(read(join(dir, 'pids.max'))).toBe('max');
  });
});
