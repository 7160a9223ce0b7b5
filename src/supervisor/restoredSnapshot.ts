// What a stored process is at boot: DORMANT, or SUSPENDEND without a job (its job was ended at
// shutdown); a started one is then started again by the supervisor.
import { dormantSnapshot, type ProcessSnapshot } from '../core/processModel.js';
import { startGrid } from '../core/releaseGrid.js';
import type { StoredProcess } from '../runtime/sqliteStore.js';

export function restoredSnapshot(entry: StoredProcess, nowMs: number): ProcessSnapshot {
  const base = { ...dormantSnapshot(entry.definition.spec), counters: entry.counters, lastExit: entry.lastExit };
  if (entry.intent !== 'SUSPENDED') return { ...base, intent: entry.intent };
  const spec = entry.definition.spec;
  // A PERIODIC one gets a fresh grid that begins at the boot.
  const grid = spec.type === 'PERIODIC' ? startGrid(nowMs, spec.periodMs) : null;
  return { ...base, intent: 'SUSPENDED', runtime: { phase: 'SUSPENDED', grid, job: null } };
}
