// Carries out an apply plan over the API, step by step, saying what each step did.
import type { Operation, PartitionJson, ProcessJson } from '../apiTypes.js';
import { CliError, EXIT, type ExitCode } from '../cliExit.js';
import { operate } from '../operate.js';
import type { SigmaClient } from '../sigmaClient.js';
import { describeStep, isUnchanged, type ApplyStep, type PlanStep } from './applyPlan.js';
import { isPartitionStep, type PartitionStep } from './partitionPlan.js';

const FATAL: readonly ExitCode[] = [EXIT.unreachable, EXIT.unauthorized];

export interface ApplyOutput {
  line(text: string): void;
  problem(text: string): void;
  /** A partition just created or changed: the limits it has that this node does not enforce are said, never hidden. */
  unenforced(partition: PartitionJson): void;
}

export interface ApplyOutcome {
  exitCode: ExitCode;
  /** The steps that failed (reported through `output.problem`). */
  notDone: Set<ApplyStep>;
}

/**
 * Performs every step in order, printing its plan line and the state reached; a step that fails is
 * reported and the others go on (a refused token or an unreachable daemon ends the run).
 */
export async function runPlan(client: SigmaClient, steps: ApplyStep[], output: ApplyOutput): Promise<ApplyOutcome> {
  let firstFailure: ExitCode | null = null;
  const notDone = new Set<ApplyStep>();
  for (const step of steps) {
    if (isUnchanged(step)) continue;
    try {
      const outcome = isPartitionStep(step) ? await runPartitionStep(client, step, output) : await runStep(client, step);
      output.line(`${describeStep(step)} -> ${outcome}`);
    } catch (error) {
      if (!(error instanceof CliError) || FATAL.includes(error.exitCode)) throw error;
      output.line(`${describeStep(step)} -> not done`);
      output.problem(`${isPartitionStep(step) ? `partition ${step.name}` : step.name}: ${error.message}`);
      firstFailure ??= error.exitCode;
      notDone.add(step);
    }
  }
  return { exitCode: firstFailure ?? EXIT.ok, notDone };
}

async function runPartitionStep(client: SigmaClient, step: Exclude<PartitionStep, { kind: 'partition-unchanged' }>, output: ApplyOutput): Promise<string> {
  const path = `/partitions/${encodeURIComponent(step.name)}`;
  switch (step.kind) {
    case 'partition-create':
      output.unenforced((await client.json<{ partitions: PartitionJson[] }>('POST', '/partitions', step.body)).partitions[0] as PartitionJson);
      return 'created';
    case 'partition-update':
      output.unenforced((await client.json<{ partitions: PartitionJson[] }>('PUT', path, step.body)).partitions[0] as PartitionJson);
      return 'updated';
    case 'partition-delete':
      await client.json('DELETE', path);
      return 'deleted';
  }
}

async function runStep(client: SigmaClient, step: Exclude<PlanStep, { kind: 'unchanged' }>): Promise<string> {
  switch (step.kind) {
    case 'replace':
      await client.json('DELETE', `/processes/${step.id}`);
      return runStep(client, { kind: 'create', name: step.name, body: step.body, operations: step.operations, desired: step.desired });
    case 'create': {
      const created = (await client.json<{ processes: ProcessJson[] }>('POST', '/processes', step.body)).processes[0] as ProcessJson;
      if (step.body.state === 'RUNNING' && created.state === 'DORMANT') {
        throw new CliError(EXIT.failed, `created as id ${created.id}, but it did not start: ${created.lastExit?.error ?? 'no reason given'}`);
      }
      return `id ${created.id}, ${await operateAll(client, created.id, step.operations, created.state)}`;
    }
    case 'update': {
      if (step.stopFirst) await operateAll(client, step.id, ['STOP'], step.from);
      const updated = (await client.json<{ processes: ProcessJson[] }>('PATCH', `/processes/${step.id}`, step.patch)).processes[0] as ProcessJson;
      return operateAll(client, step.id, step.operations, updated.state);
    }
    case 'state':
      return operateAll(client, step.id, step.operations, step.from);
    case 'delete':
      await client.json('DELETE', `/processes/${step.id}`);
      return 'deleted';
  }
}

/** Runs the operations in order and returns the state reached; a FAILED result stops there. */
async function operateAll(client: SigmaClient, id: number, operations: Operation[], state: string): Promise<string> {
  let reached = state;
  for (const operation of operations) {
    const result = await operate(client, id, operation);
    if (result.result === 'FAILED') {
      throw new CliError(EXIT.failed, `${operation} FAILED: ${result.reason ?? 'no reason given'}; it stays ${result.state}`);
    }
    reached = result.state;
  }
  return reached;
}
