// A process's definition from what a client sent: a new one (POST, or a process moved to this node
// by the fleet, from the JSON its last node recorded), or a change of one (PATCH).
import type { ProcessDefinition } from '../core/processDefinition.js';
import type { ProcessSpec, ProcessType, RestartPolicy, TimeCapacity } from '../core/processModel.js';
import { ProcessInvalidError } from '../errors/sigmaErrors.js';
import type { DefinitionChange, NewProcessRequest } from '../supervisor/supervisor.js';
import { LIMITS, type CreateProcessBody, type RestartBody, type UpdateProcessBody } from './schemas/processSchemas.js';
import { timeCapacityOf, type TimeCapacityFields } from './timeCapacityOf.js';

/** The fields of a new process that make its definition (a create's body has them, as a process's JSON does). */
export type NewProcessFields = Pick<CreateProcessBody, 'name' | 'type' | 'period' | 'command' | 'cwd' | 'env' | 'stopTimeoutMs' | 'restart' | 'nice'> & TimeCapacityFields;

export function newProcessOf(body: NewProcessFields, partition: string, createdAtMs: number): NewProcessRequest {
  const type: ProcessType = body.type ?? 'ONE_SHOT';
  const spec = specOf(type, body.period ?? undefined, body.stopTimeoutMs ?? LIMITS.defaultStopTimeoutMs, restartOf(type, body.restart), body);
  if (body.command?.[0] === '') throw new ProcessInvalidError('"command" must start with the program to run, not an empty string');
  return { name: body.name, partition, spec, command: body.command ?? null, cwd: body.cwd ?? null, env: body.env ?? {}, nice: body.nice ?? null, createdAtMs };
}

export function changedDefinition(current: ProcessDefinition, body: UpdateProcessBody): DefinitionChange {
  const type = body.type ?? current.spec.type;
  // A ONE_SHOT process has no period to keep; a PERIODIC one keeps its own unless one is sent.
  const periodMs = type === 'PERIODIC' ? (body.period ?? current.spec.periodMs ?? undefined) : body.period;
  // A restart policy not sent is kept, unless the process becomes PERIODIC (it has none then).
  const currentRestart = current.spec.type === 'ONE_SHOT' ? current.spec.restart : null;
  const restart = body.restart === undefined ? (type === 'ONE_SHOT' ? currentRestart : null) : restartOf(type, body.restart);
  return {
    spec: specOf(type, periodMs, body.stopTimeoutMs ?? current.spec.stopTimeoutMs, restart, body, current.spec.capacity ?? null),
    ...(body.command ? { command: body.command, program: null } : { command: current.command, program: current.program }),
    cwd: body.cwd === undefined ? current.cwd : body.cwd,
    env: body.env ?? current.env,
    nice: body.nice === undefined ? current.nice : body.nice,
  };
}

export function initialStart(state: CreateProcessBody['state']): boolean {
  switch (state) {
    case undefined:
    case 'DORMANT':
      return false;
    case 'READY':
    case 'RUNNING':
      return true;
  }
}

function specOf(
  type: ProcessType,
  periodMs: number | undefined,
  stopTimeoutMs: number,
  restart: RestartPolicy | null,
  capacityFields: TimeCapacityFields,
  currentCapacity: TimeCapacity | null = null,
): ProcessSpec {
  if (type === 'PERIODIC') {
    if (periodMs === undefined) throw new ProcessInvalidError('a PERIODIC process needs "period" (milliseconds, an integer >= 1)');
    return { type, periodMs, stopTimeoutMs, capacity: timeCapacityOf(capacityFields, periodMs, currentCapacity) };
  }
  if (periodMs !== undefined) throw new ProcessInvalidError('"period" is only for PERIODIC processes; send "type": "PERIODIC" or leave "period" out');
  return { type, periodMs: null, stopTimeoutMs, restart, capacity: timeCapacityOf(capacityFields, null, currentCapacity) };
}

/** The restart policy sent, with its defaults; `never` is no policy. Refused on a PERIODIC process. */
function restartOf(type: ProcessType, body: RestartBody | null | undefined): RestartPolicy | null {
  if (body === undefined || body === null || body.policy === 'never') return null;
  if (type === 'PERIODIC') {
    throw new ProcessInvalidError('"restart" is only for ONE_SHOT processes: a PERIODIC process runs again at its next release anyway; leave "restart" out or send null');
  }
  const delayMs = body.delayMs ?? LIMITS.defaultRestartDelayMs;
  const maxDelayMs = body.maxDelayMs ?? Math.max(LIMITS.defaultRestartMaxDelayMs, delayMs);
  if (delayMs > maxDelayMs) throw new ProcessInvalidError(`"restart.delayMs" (${delayMs}) must not be above "restart.maxDelayMs" (${maxDelayMs})`);
  const limit = { count: body.limit?.count ?? LIMITS.defaultRestartLimitCount, windowMs: body.limit?.windowMs ?? LIMITS.defaultRestartLimitWindowMs };
  return { policy: body.policy, delayMs, maxDelayMs, limit };
}
