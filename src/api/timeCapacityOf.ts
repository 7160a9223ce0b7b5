// The time capacity a create or an update asks for, checked against the period it will have.
import type { DeadlineMissAction, TimeCapacity } from '../core/processModel.js';
import { ProcessInvalidError } from '../errors/sigmaErrors.js';

export interface TimeCapacityFields {
  readonly timeCapacityMs?: number | null;
  readonly onDeadlineMiss?: DeadlineMissAction;
}

/**
 * The capacity sent, over `current` (an update keeps what it does not send; null removes it).
 * Refused: an action without a capacity, and a PERIODIC capacity longer than its period (the next
 * release would come before the deadline).
 */
export function timeCapacityOf(body: TimeCapacityFields, periodMs: number | null, current: TimeCapacity | null = null): TimeCapacity | null {
  const timeCapacityMs = body.timeCapacityMs === undefined ? (current?.timeCapacityMs ?? null) : body.timeCapacityMs;
  if (timeCapacityMs === null) {
    if (body.onDeadlineMiss !== undefined) {
      throw new ProcessInvalidError('"onDeadlineMiss" needs "timeCapacityMs": without a time capacity a job has no deadline to miss');
    }
    return null;
  }
  if (periodMs !== null && timeCapacityMs > periodMs) {
    throw new ProcessInvalidError(
      `"timeCapacityMs" (${timeCapacityMs}) must not be above "period" (${periodMs}): a PERIODIC job's deadline must come no later than its next release`,
    );
  }
  return { timeCapacityMs, onDeadlineMiss: body.onDeadlineMiss ?? current?.onDeadlineMiss ?? 'log' };
}
