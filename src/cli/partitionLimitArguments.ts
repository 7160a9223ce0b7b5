// The --max-running, --cpu, --memory, --pids, --max-processes and --definition-bytes flags of
// `sigma partition create|set`: parsed and range-checked here, so a typo exits 2 before anything
// is sent; `none` removes a limit.
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_PARTITION_QUOTAS } from '../core/partition.js';
import type { PartitionLimitsJson, PartitionQuotasJson } from './apiTypes.js';
import { formatByteSize, parseByteSize } from './byteSize.js';
import { integerArgument } from './commands/clientCommand.js';
import { PARTITION_LIMIT_RANGES } from './partitionLimitRanges.js';

/** What the flags give for "none": commander turns a parser's null into "", so the word is kept until limitsBody. */
const NONE = 'none';
type LimitValue = number | typeof NONE;

export interface LimitOptions {
  maxRunning?: LimitValue;
  cpu?: LimitValue;
  memory?: LimitValue;
  pids?: LimitValue;
  maxProcesses?: LimitValue;
  definitionBytes?: LimitValue;
}

/** The parsers of the flags; with `allowNone`, each also takes "none" (remove the limit). */
function limitParsers(allowNone: boolean) {
  const orNone = allowNone ? ', or none' : '';
  const withNone =
    (parse: (text: string) => number) =>
    (text: string): LimitValue => {
      if (text.toLowerCase() !== NONE) return parse(text);
      if (!allowNone) throw new InvalidArgumentError('"none" removes a limit with `sigma partition set`; here, leave the flag out');
      return NONE;
    };
  const wholeNumber = (min: number, max: number) => withNone(integerArgument(min, max, '', orNone));
  const { maxRunning, cpu, memoryBytes, pids, maxProcesses, definitionBytes } = PARTITION_LIMIT_RANGES;
  const size = (range: { min: number; max: number }) =>
    withNone((text: string): number => {
      const bytes = parseByteSize(text);
      if (bytes === null) throw new InvalidArgumentError(`must be a size in bytes, like 268435456, 256Mi, 512M or 1Gi${orNone}`);
      if (bytes < range.min) throw new InvalidArgumentError(`must be at least ${formatByteSize(range.min)} (${range.min} bytes)`);
      if (bytes > range.max) throw new InvalidArgumentError(`must be at most ${range.max} bytes`);
      return bytes;
    });
  return {
    maxRunning: wholeNumber(maxRunning.min, maxRunning.max),
    pids: wholeNumber(pids.min, pids.max),
    maxProcesses: wholeNumber(maxProcesses.min, maxProcesses.max),
    definitionBytes: size(definitionBytes),
    memory: size(memoryBytes),
    cpu: withNone((text: string): number => {
      const value = Number(text);
      if (!/^\d+(\.\d+)?$/.test(text) || value < cpu.min || value > cpu.max) {
        throw new InvalidArgumentError(`must be a share of one core from ${cpu.min} to ${cpu.max} (0.5: half a core, 2: two cores)${orNone}`);
      }
      return value;
    }),
  };
}

/**
 * Adds the limit and quota flags; with `allowNone` (set), each also takes "none" to remove it. A
 * quota takes "none" at create too: left out, it is the default one, not none.
 */
export function withLimitOptions(command: Command, allowNone: boolean): Command {
  const parse = limitParsers(allowNone);
  const quota = limitParsers(true);
  const suffix = allowNone ? '; "none" removes it' : '';
  const quotaDefault = (text: string): string => (allowNone ? '; "none" removes it' : ` (default ${text}; "none": no quota)`);
  return command
    .option('--max-running <n>', `at most <n> jobs of the partition hold a slot at once; the others wait in READY${suffix}`, parse.maxRunning)
    .option('--cpu <share>', `CPU for all its jobs together, as a share of one core: 0.5, 2${suffix}`, parse.cpu)
    .option('--memory <size>', `memory for all its jobs together: bytes, or with K, M, G (powers of 1000) or Ki, Mi, Gi (of 1024), e.g. 256Mi${suffix}`, parse.memory)
    .option('--pids <n>', `tasks (processes and threads) of all its jobs together${suffix}`, parse.pids)
    .option('--max-processes <n>', `quota: processes defined in the partition at most${quotaDefault(String(DEFAULT_PARTITION_QUOTAS.maxProcesses))}`, quota.maxProcesses)
    .option(
      '--definition-bytes <size>',
      `quota: command plus env of all its processes together, in bytes or with K, M, G, Ki, Mi, Gi${quotaDefault(formatByteSize(DEFAULT_PARTITION_QUOTAS.definitionBytes))}`,
      quota.definitionBytes,
    );
}

/** The limits the flags give, in the API's names (null: remove it); only those given. */
export function limitsBody(options: LimitOptions): Partial<PartitionLimitsJson & PartitionQuotasJson> {
  const body: Partial<PartitionLimitsJson & PartitionQuotasJson> = {};
  const value = (given: LimitValue): number | null => (given === NONE ? null : given);
  if (options.maxRunning !== undefined) body.maxRunning = value(options.maxRunning);
  if (options.cpu !== undefined) body.cpu = value(options.cpu);
  if (options.memory !== undefined) body.memoryBytes = value(options.memory);
  if (options.pids !== undefined) body.pids = value(options.pids);
  if (options.maxProcesses !== undefined) body.maxProcesses = value(options.maxProcesses);
  if (options.definitionBytes !== undefined) body.definitionBytes = value(options.definitionBytes);
  return body;
}
