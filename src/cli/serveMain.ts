// `sigma serve` on its own: the same command, usage errors and exit statuses as in the whole
// command line (commandLine.ts), without the client commands.
import { Command } from 'commander';
import { runProgram, withUsageErrors } from './programRun.js';
import { serveCommand } from './serveCommand.js';

runProgram(withUsageErrors(new Command('sigma'), '').addCommand(withUsageErrors(serveCommand(), 'serve')));
