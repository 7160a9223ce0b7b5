// The rule of every operation's result: OK when the process ends up in the operation's target condition.
import type { Operation, WireState } from '../core/processModel.js';

const TARGETS: Readonly<Record<Operation, readonly WireState[]>> = {
  START: ['READY', 'RUNNING', 'WAITING'],
  RESUME: ['READY', 'RUNNING', 'WAITING'],
  STOP: ['DORMANT'],
  SUSPEND: ['SUSPENDEND'],
};

export function targetReached(operation: Operation, state: WireState): boolean {
  return TARGETS[operation].includes(state);
}
