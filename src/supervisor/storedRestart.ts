// The restart policy's state as the store keeps it, and back: a restart pending survives a
// restart of the daemon (at the time it was due), a held one keeps the delay it had left.
import type { ProcessSnapshot, RestartLog, Runtime } from '../core/processModel.js';
import type { StoredRestart } from '../runtime/sqliteStore.js';

export function storedRestartOf(snapshot: ProcessSnapshot): StoredRestart {
  const { runtime, restartLog } = snapshot;
  return {
    lastDelayMs: restartLog.lastDelayMs,
    recentAtMs: restartLog.recentAtMs,
    pendingAtMs: runtime.phase === 'RESTART_PENDING' ? runtime.restartAtMs : null,
    heldMs: runtime.phase === 'SUSPENDED' && runtime.heldRestartMs !== undefined ? runtime.heldRestartMs : null,
    isStart: (runtime.phase === 'RESTART_PENDING' && runtime.delayedStart === true) || (runtime.phase === 'SUSPENDED' && runtime.heldStart === true),
  };
}

/** The runtime of a started (or suspended) ONE_SHOT whose restart was stored, else null. */
export function restoredRestart(intent: ProcessSnapshot['intent'], stored: StoredRestart): Runtime | null {
  const start = stored.isStart === true;
  if (intent === 'STARTED' && stored.pendingAtMs !== null) return { phase: 'RESTART_PENDING', restartAtMs: stored.pendingAtMs, ...(start ? { delayedStart: true } : {}) };
  if (intent === 'SUSPENDED' && stored.heldMs !== null) return { phase: 'SUSPENDED', grid: null, job: null, heldRestartMs: stored.heldMs, ...(start ? { heldStart: true } : {}) };
  return null;
}

export function sameStoredRestart(a: StoredRestart, b: StoredRestart): boolean {
  return (
    a.pendingAtMs === b.pendingAtMs &&
    a.heldMs === b.heldMs &&
    a.lastDelayMs === b.lastDelayMs &&
    (a.isStart ?? false) === (b.isStart ?? false) &&
    a.recentAtMs.length === b.recentAtMs.length &&
    a.recentAtMs.every((atMs, index) => atMs === b.recentAtMs[index])
  );
}

export function restartLogOf(stored: StoredRestart): RestartLog {
  return { lastDelayMs: stored.lastDelayMs, recentAtMs: stored.recentAtMs };
}
