#!/usr/bin/env node
// The `sigma` command line.
import { Command } from 'commander';
import { serveCommand } from './serveCommand.js';

const program = new Command('sigma')
  .description('sigma: a process manager for a node, driven through the SIGMA Process Manager API')
  .addCommand(serveCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`sigma: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
