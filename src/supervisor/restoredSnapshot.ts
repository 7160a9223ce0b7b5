// What a stored process is at boot: DORMANT, or SUSPENDEND without a job (its job was ended at
// shutdown); a started one is then started again by the supervisor, or waits for its stored restart.
import { dormantSnapshot, type ProcessSnapshot } from '../core/processModel.js';
import { startGrid } from '../core/releaseGrid.js';
import type { StoredProcess } from '../runtime/sqliteStore.js';
import { restartLogOf, restoredRestart } from './storedRestart.js';

export function restoredSnapshot(entry: StoredProcess, nowMs: number): ProcessSnapshot {
  const restartLog = restartLogOf(entry.restart);
  const base = { ...dormantSnapshot(entry.definition.spec), counters: entry.counters, lastExit: entry.lastExit, restartLog };
  // A restart pending or held is taken up where it was (the supervisor arms a pending one).
  const restart = entry.definition.spec.type === 'ONE_SHOT' ? restoredRestart(entry.intent, entry.restart) : null;
  if (restart) return { ...base, intent: entry.intent, runtime: restart };
  if (entry.intent !== 'SUSPENDED') return { ...base, intent: entry.intent };
  const spec = entry.definition.spec;
  // A PERIODIC one gets a fresh grid that begins at the boot.
  const grid = spec.type === 'PERIODIC' ? startGrid(nowMs, spec.periodMs) : null;
  return { ...base, intent: 'SUSPENDED', runtime: { phase: 'SUSPENDED', grid, job: null } };
}
