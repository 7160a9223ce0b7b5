// `sigma create x sh -c 'echo hi'`: the job's own flag (-c) is taken for one of sigma's. The
// refusal shows the command line with `--` before the job's argv, where it belongs.
import type { Command } from 'commander';
import { shellQuote } from '../shellQuote.js';

/**
 * For a command taking `<name> [command...]`: when an unknown option follows a word of the job's
 * argv, the words typed with `--` put before that argv; else null (a mistyped flag of sigma's own).
 */
export function jobArgumentsHint(command: Command, typed: readonly string[]): string | null {
  const firstJobWord = firstJobWordIndex(command, typed);
  if (firstJobWord === null) return null;
  const corrected = [...typed.slice(0, firstJobWord), '--', ...typed.slice(firstJobWord)];
  return `the job's arguments go after --, as in: sigma ${command.name()} ${shellQuote(corrected)}`;
}

/** Where the job's argv starts in `typed` (the words after the command's name): the operand after NAME. */
function firstJobWordIndex(command: Command, typed: readonly string[]): number | null {
  let operands = 0;
  for (let index = 0; index < typed.length; index++) {
    const word = typed[index] as string;
    if (word === '--') return null;
    if (word.startsWith('-') && word !== '-') {
      // An unknown flag before any job word is sigma's own, mistyped.
      const flag = word.split('=', 1)[0];
      const option = command.options.find((known) => known.long === flag || known.short === flag);
      if (!option) return null;
      if ((option.required || option.optional) && !word.includes('=')) index += 1;
      continue;
    }
    operands += 1;
    if (operands === 2) return index;
  }
  return null;
}
