#!/usr/bin/env -S node --max-semi-space-size=2
// `sigma`: the daemon (`sigma serve`) loads only its own side, from the single file the build
// makes of it (dist/sigma-serve.js; its modules one by one where that file is missing). The
// client commands' modules (the apply file's YAML parser, the tables) are not read at its start,
// a restart that adopts running jobs included.
import { existsSync } from 'node:fs';

const SERVE_BUNDLE = new URL('../sigma-serve.js', import.meta.url);

if (process.argv[2] === 'serve') await import(existsSync(SERVE_BUNDLE) ? SERVE_BUNDLE.href : './serveMain.js');
else await import('./commandLine.js');
