#!/usr/bin/env -S node --max-semi-space-size=2
// `sigma`: the daemon (`sigma serve`) loads only its own side. The client commands' modules (the
// apply file's YAML parser, the tables) would otherwise be read and compiled at every start of
// the daemon, a restart that adopts running jobs included.
if (process.argv[2] === 'serve') await import('./serveMain.js');
else await import('./commandLine.js');
