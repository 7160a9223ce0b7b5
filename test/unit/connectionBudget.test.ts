// The connection budget from the descriptor limit, and the limit as /proc shows it.
import { describe, expect, it } from 'vitest';
import {
  connectionCeiling,
  connectionsAdmitted,
  FEWEST_CONNECTIONS,
  OWN_DESCRIPTORS,
  SPAWN_RESERVE_DESCRIPTORS,
} from '../../src/daemon/connectionBudget.js';
import { readOpenFilesLimit } from '../../src/runtime/openFilesLimit.js';

describe('connection budget', () => {
  it('leaves the daemon its own descriptors, the spawn reserve and a file per followed log', () => {
    expect(connectionCeiling(1024, 64)).toBe(1024 - OWN_DESCRIPTORS - SPAWN_RESERVE_DESCRIPTORS - 64);
    expect(connectionCeiling(1_048_576, 64)).toBe(1_048_576 - OWN_DESCRIPTORS - SPAWN_RESERVE_DESCRIPTORS - 64);
  });

  it('under a small limit, streams share what is left and the API stays reachable', () => {
    expect(connectionCeiling(160, 64)).toBe(40);
    expect(connectionCeiling(96, 64)).toBe(FEWEST_CONNECTIONS);
    expect(connectionCeiling(48, 64)).toBe(FEWEST_CONNECTIONS);
  });

  it('admits --max-connections within the ceiling less what running jobs hold', () => {
    expect(connectionsAdmitted(100, 880, 0)).toBe(100);
    expect(connectionsAdmitted(5000, 880, 0)).toBe(880);
    expect(connectionsAdmitted(5000, 880, 400)).toBe(480);
    expect(connectionsAdmitted(5000, 880, 5000)).toBe(FEWEST_CONNECTIONS);
  });
});

describe('readOpenFilesLimit', () => {
  it('reads the soft and hard limits of /proc/<pid>/limits', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max processes             63431                63431                processes ',
      'Max open files            1024                 4096                 files     ',
      '',
    ].join('\n');
    expect(readOpenFilesLimit(text)).toEqual({ soft: 1024, hard: 4096 });
  });

  it('reads this process\'s own', () => {
    const { soft, hard } = readOpenFilesLimit();
    expect(soft).toBeGreaterThan(0);
    expect(hard).toBeGreaterThanOrEqual(soft);
  });

  it('refuses a text without the line', () => {
    expect(() => readOpenFilesLimit('Max processes 1 1 processes\n')).toThrow(/descriptor limit/);
  });
});
