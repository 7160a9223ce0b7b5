// `sigma create x sh -c 'echo hi'`: where `--` was forgotten, and the line with it.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { jobArgumentsHint } from '../../src/cli/commands/jobArgumentsHint.js';

const create = new Command('create')
  .argument('<name>')
  .argument('[command...]')
  .option('--periodic <ms>')
  .option('--env <NAME=VALUE>')
  .option('--start');

describe('jobArgumentsHint', () => {
  it('puts -- before the first word of the job', () => {
    expect(jobArgumentsHint(create, ['x', 'sh', '-c', 'echo hi'])).toBe("the job's arguments go after --, as in: sigma create x -- sh -c 'echo hi'");
    expect(jobArgumentsHint(create, ['--start', 'x', 'ls', '-l'])).toBe("the job's arguments go after --, as in: sigma create --start x -- ls -l");
  });

  it('skips the values of options, spelled apart or with =', () => {
    expect(jobArgumentsHint(create, ['x', '--periodic', '500', '--env', 'A=1', 'date', '-u'])).toBe(
      "the job's arguments go after --, as in: sigma create x --periodic 500 --env A=1 -- date -u",
    );
    expect(jobArgumentsHint(create, ['x', '--periodic=500', 'date', '-u'])).toBe("the job's arguments go after --, as in: sigma create x --periodic=500 -- date -u");
  });

  it('gives none for a mistyped flag of sigma before any job word, or a line with -- already', () => {
    expect(jobArgumentsHint(create, ['x', '--strat'])).toBeNull();
    expect(jobArgumentsHint(create, ['--strat', 'x', 'ls', '-l'])).toBeNull();
    expect(jobArgumentsHint(create, ['x', '--', 'sh', '-c', 'true'])).toBeNull();
    expect(jobArgumentsHint(create, ['x'])).toBeNull();
  });
});
