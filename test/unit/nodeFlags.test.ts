// The daemon's Node.js flags are passed the same way wherever it is started: the `sigma`
// command's first line, `npm start`, and the daemons of the tests, the bench and the soak (DAEMON_NODE_FLAGS).
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { DAEMON_NODE_FLAGS } from '../../src/daemon/nodeFlags.js';

const root = new URL('../../', import.meta.url);

it('has the sigma command and npm start run node with the daemon\'s flags', () => {
  const shebang = readFileSync(new URL('src/cli/main.ts', root), 'utf8').split('\n')[0];
  expect(shebang).toBe(`#!/usr/bin/env -S node ${DAEMON_NODE_FLAGS.join(' ')}`);
  const start = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> }).scripts.start;
  expect(start).toBe(`exec node ${DAEMON_NODE_FLAGS.join(' ')} dist/cli/main.js serve`);
});
