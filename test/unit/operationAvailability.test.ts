// The dashboard's rule for which operation it offers, cell by cell of docs/state-model.md's tables:
// enabled where the operation changes something, disabled with a reason where the daemon would
// answer FAILED or OK with no change.
import { describe, expect, it } from 'vitest';
import type { ProcessState, ProcessType } from '../../web/apiTypes.js';
import { availabilityOf, type ProcessOperation } from '../../web/operationAvailability.js';

/** null: enabled; a string: disabled with that reason. */
type Row = Record<ProcessOperation, string | null>;

const NOT_STARTED = 'not started: START it first';

function table(waiting: string): Record<ProcessState, Row> {
  return {
    DORMANT: { START: null, STOP: 'not started: nothing to stop', SUSPEND: NOT_STARTED, RESUME: NOT_STARTED, DELETE: null },
    WAITING: { START: waiting, STOP: null, SUSPEND: null, RESUME: 'not suspended', DELETE: null },
    READY: { START: 'already started: waiting for a free slot', STOP: null, SUSPEND: null, RESUME: 'not suspended', DELETE: null },
    RUNNING: { START: 'already running', STOP: null, SUSPEND: null, RESUME: 'not suspended', DELETE: null },
    SUSPENDEND: { START: 'suspended: RESUME it', STOP: null, SUSPEND: 'already suspended', RESUME: null, DELETE: null },
  };
}

const EXPECTED: Record<ProcessType, Record<ProcessState, Row>> = {
  ONE_SHOT: table('already started: waiting for its restart or its delayed start'),
  PERIODIC: table('already started: waiting for its next release'),
};

describe('which operations the dashboard offers', () => {
  for (const [type, states] of Object.entries(EXPECTED) as Array<[ProcessType, Record<ProcessState, Row>]>) {
    for (const [state, row] of Object.entries(states) as Array<[ProcessState, Row]>) {
      for (const [operation, reason] of Object.entries(row) as Array<[ProcessOperation, string | null]>) {
        it(`${type} ${state} ${operation}: ${reason ?? 'enabled'}`, () => {
          expect(availabilityOf(type, state, operation)).toEqual(reason === null ? { enabled: true } : { enabled: false, reason });
        });
      }
    }
  }

  it('covers every state and operation', () => {
    const states: ProcessState[] = ['DORMANT', 'WAITING', 'READY', 'RUNNING', 'SUSPENDEND'];
    const operations: ProcessOperation[] = ['START', 'STOP', 'SUSPEND', 'RESUME', 'DELETE'];
    for (const type of ['ONE_SHOT', 'PERIODIC'] as const) {
      expect(Object.keys(EXPECTED[type]).sort()).toEqual([...states].sort());
      for (const state of states) expect(Object.keys(EXPECTED[type][state]).sort()).toEqual([...operations].sort());
    }
  });
});
