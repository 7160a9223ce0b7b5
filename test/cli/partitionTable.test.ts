// The partition table of `sigma partition ls`: limits in human units, and every limit that does
// not hold flagged in its cell, in the UNENFORCED column and in a note that says why.
import { describe, expect, it } from 'vitest';
import type { PartitionJson } from '../../src/cli/apiTypes.js';
import { limitsSummary, partitionTable, unenforcedNotes } from '../../src/cli/partitionTable.js';
import type { Painter } from '../../src/cli/terminalStyle.js';

const plain: Painter = (_style, text) => text;

function partition(fields: Partial<PartitionJson>): PartitionJson {
  return {
    name: 'default',
    maxRunning: null,
    cpu: null,
    memoryBytes: null,
    pids: null,
    maxProcesses: 1000,
    definitionBytes: 67_108_864,
    processes: 0,
    definitionBytesUsed: 0,
    running: 0,
    unenforced: [],
    usage: { cpuMs: null, memoryBytes: null, pids: null },
    createdAt: '2026-11-28T01:00:00.000Z',
    ...fields,
  };
}

describe('partitionTable', () => {
  it('shows the counts, the limits in human units, and flags the limits that do not hold', () => {
    const lab = partition({
      name: 'lab',
      maxRunning: 2,
      cpu: 0.5,
      memoryBytes: 268_435_456,
      pids: 64,
      processes: 3,
      definitionBytesUsed: 1536,
      maxProcesses: null,
      definitionBytes: 1_048_576,
      running: 1,
      unenforced: [
        { limit: 'cpu', reason: 'no cpu controller' },
        { limit: 'memoryBytes', reason: 'no memory controller' },
      ],
    });
    const lines = partitionTable([partition({ processes: 4, running: 2 }), lab], plain).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+PROCESSES\s+RUNNING\s+MAX RUNNING\s+CPU\s+MEMORY\s+PIDS\s+MAX PROCESSES\s+DEFINITIONS\s+UNENFORCED$/);
    expect(lines[1]).toMatch(/^default\s+4\s+2\s+-\s+-\s+-\s+-\s+1000\s+0B\/64Mi\s+-$/);
    expect(lines[2]).toMatch(/^lab\s+3\s+1\s+2\s+0\.5!\s+256Mi!\s+64\s+-\s+1\.5Ki\/1Mi\s+cpu, memory$/);
    expect(unenforcedNotes([lab], plain)).toEqual([
      'the cpu limit of lab does not hold: no cpu controller',
      'the memory limit of lab does not hold: no memory controller',
    ]);
  });

  it('says every limit in a summary, "none" for those not set', () => {
    expect(limitsSummary(partition({ maxRunning: 2, memoryBytes: 1_073_741_824 }))).toBe(
      'max running 2, cpu none, memory 1Gi, pids none, max processes 1000, definition bytes 64Mi',
    );
    expect(limitsSummary(partition({ maxProcesses: null, definitionBytes: null }))).toBe(
      'max running none, cpu none, memory none, pids none, max processes none, definition bytes none',
    );
  });
});
