#!/usr/bin/env node
// The `sigma` command line.
import { Command, CommanderError } from 'commander';
import { serveCommand } from './serveCommand.js';

/** Exit status of a usage error (unknown flag, missing value); 1 is for a daemon that cannot start. */
const USAGE_EXIT_CODE = 2;

const program = new Command('sigma')
  .description('sigma: a process manager for a node, driven through the SIGMA Process Manager API')
  .addCommand(serveCommand().exitOverride())
  .exitOverride();

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help).
    const helpOrVersion = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
    process.exit(helpOrVersion ? 0 : USAGE_EXIT_CODE);
  }
  process.stderr.write(`sigma: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
