// The --max-running, --cpu, --memory and --pids flags of `sigma partition create|set`: parsed
// and range-checked here, so a typo exits 2 before anything is sent; `none` removes a limit.
import { InvalidArgumentError, type Command } from 'commander';
import type { PartitionLimitsJson } from './apiTypes.js';
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
}

/** The parsers of the four flags; with `allowNone`, each also takes "none" (remove the limit). */
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
  const { maxRunning, cpu, memoryBytes, pids } = PARTITION_LIMIT_RANGES;
  return {
    maxRunning: wholeNumber(maxRunning.min, maxRunning.max),
    pids: wholeNumber(pids.min, pids.max),
    cpu: withNone((text: string): number => {
      const value = Number(text);
      if (!/^\d+(\.\d+)?$/.test(text) || value < cpu.min || value > cpu.max) {
        throw new InvalidArgumentError(`must be a share of one core from ${cpu.min} to ${cpu.max} (0.5: half a core, 2: two cores)${orNone}`);
      }
      return value;
    }),
    memory: withNone((text: string): number => {
      const bytes = parseByteSize(text);
      if (bytes === null) throw new InvalidArgumentError(`must be a size in bytes, like 268435456, 256Mi, 512M or 1Gi${orNone}`);
      if (bytes < memoryBytes.min) throw new InvalidArgumentError(`must be at least ${formatByteSize(memoryBytes.min)} (${memoryBytes.min} bytes)`);
      if (bytes > memoryBytes.max) throw new InvalidArgumentError(`must be at most ${memoryBytes.max} bytes`);
      return bytes;
    }),
  };
}

/** Adds the four limit flags; with `allowNone` (set), each also takes "none" to remove the limit. */
export function withLimitOptions(command: Command, allowNone: boolean): Command {
  const parse = limitParsers(allowNone);
  const suffix = allowNone ? '; "none" removes it' : '';
  return command
    .option('--max-running <n>', `at most <n> jobs of the partition hold a slot at once; the others wait in READY${suffix}`, parse.maxRunning)
    .option('--cpu <share>', `CPU for all its jobs together, as a share of one core: 0.5, 2${suffix}`, parse.cpu)
    .option('--memory <size>', `memory for all its jobs together: bytes, or with K, M, G (powers of 1000) or Ki, Mi, Gi (of 1024), e.g. 256Mi${suffix}`, parse.memory)
    .option('--pids <n>', `tasks (processes and threads) of all its jobs together${suffix}`, parse.pids);
}

/** The limits the flags give, in the API's names (null: remove it); only those given. */
export function limitsBody(options: LimitOptions): Partial<PartitionLimitsJson> {
  const body: Partial<PartitionLimitsJson> = {};
  const value = (given: LimitValue): number | null => (given === NONE ? null : given);
  if (options.maxRunning !== undefined) body.maxRunning = value(options.maxRunning);
  if (options.cpu !== undefined) body.cpu = value(options.cpu);
  if (options.memory !== undefined) body.memoryBytes = value(options.memory);
  if (options.pids !== undefined) body.pids = value(options.pids);
  return body;
}
