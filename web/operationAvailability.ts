// Which operation the page offers in which state, from docs/state-model.md: a button is enabled
// only when its operation would do something. The others are disabled with the reason, both those
// the daemon answers FAILED (RESUME on DORMANT) and those it answers OK with no change (START on
// RUNNING), which would tell the operator nothing.
import type { Operation, ProcessState, ProcessType } from './apiTypes.js';

export type ProcessOperation = Operation | 'DELETE';

export type Availability = { enabled: true } | { enabled: false; reason: string };

const ENABLED: Availability = { enabled: true };
const unavailable = (reason: string): Availability => ({ enabled: false, reason });

/** What a started process that is not suspended is doing, in words. */
function startedAs(type: ProcessType, state: 'WAITING' | 'READY' | 'RUNNING'): string {
  switch (state) {
    case 'WAITING':
      return type === 'PERIODIC' ? 'already started: waiting for its next release' : 'already started: waiting for its restart or its delayed start';
    case 'READY':
      return 'already started: waiting for a free slot';
    case 'RUNNING':
      return 'already running';
  }
}

export function availabilityOf(type: ProcessType, state: ProcessState, operation: ProcessOperation): Availability {
  switch (operation) {
    case 'START':
      if (state === 'DORMANT') return ENABLED;
      return state === 'SUSPENDEND' ? unavailable('suspended: RESUME it') : unavailable(startedAs(type, state));
    case 'STOP':
      return state === 'DORMANT' ? unavailable('not started: nothing to stop') : ENABLED;
    case 'SUSPEND':
      if (state === 'DORMANT') return unavailable('not started: START it first');
      return state === 'SUSPENDEND' ? unavailable('already suspended') : ENABLED;
    case 'RESUME':
      if (state === 'SUSPENDEND') return ENABLED;
      return state === 'DORMANT' ? unavailable('not started: START it first') : unavailable('not suspended');
    case 'DELETE':
      // In every state: a live job is stopped first.
      return ENABLED;
  }
}
