// The walk-through's examples, run in order as a reader pastes them, in a fresh clone's directory
// after `npm start` and the quick start: each command prints what the doc shows, but for what
// test/support/exampleOutput.ts lists as different on each machine.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docExamples } from '../support/docExamples.js';
import { ExampleShell } from '../support/exampleShell.js';
import { normalizeOutput, outputMatches } from '../support/exampleOutput.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { makeTempDir, removeTempDirs } from '../support/tempDirs.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const WALKTHROUGH = 'docs/walkthrough.md';
/** The address the docs show; the test's daemon listens on a free port instead. */
const DOCUMENTED_ADDRESS = '127.0.0.1:8443';
/** The clone's directory in the docs' outputs. */
const DOCUMENTED_CLONE = '/home/you/sigma';
const BLOCK_TIMEOUT_MS = 25_000;

const examples = docExamples(readFileSync(join(REPO, WALKTHROUGH), 'utf8'));

describe(`the examples of ${WALKTHROUGH}`, () => {
  let daemon: SigmaDaemon;
  let shell: ExampleShell;
  let address = '';
  let cloneDir = '';

  /** The doc's text as it reads on this daemon: its address, its clone, its temp files. */
  const onThisMachine = (text: string): string =>
    text.replaceAll(DOCUMENTED_ADDRESS, address).replaceAll(DOCUMENTED_CLONE, cloneDir).replaceAll('/tmp/sigma-openapi.json', join(cloneDir, 'sigma-openapi.json'));

  beforeAll(async () => {
    cloneDir = makeTempDir('sigma-clone-');
    // As `npm start` in the clone: TLS, a generated token, the data dir at ./sigma-data.
    daemon = await SigmaDaemon.start({ dataDir: join(cloneDir, 'sigma-data'), tls: true, withToken: false });
    address = new URL(daemon.url).host;
    shell = new ExampleShell(cloneDir, REPO);
    // The quick start's last step, which the walk-through goes on from: heartbeat is process 1.
    const quickStart = await shell.run('npx sigma create heartbeat --periodic 1000 --start -- date -u', BLOCK_TIMEOUT_MS);
    expect(quickStart.output).toBe('created 1 heartbeat (PERIODIC every 1s): RUNNING\n');
  });

  afterAll(async () => {
    await daemon?.stop();
    await cleanUpDaemons();
    removeTempDirs();
  });

  it('has examples, each run or marked with why not', () => {
    expect(examples.filter((example) => example.notRun === null).length).toBeGreaterThan(10);
  });

  for (const example of examples) {
    const title = `line ${example.lineNumber}: ${example.command.split('\n')[0]}`;
    if (example.notRun !== null) {
      it.skip(`${title} (not run: ${example.notRun})`, () => undefined);
      continue;
    }
    it(title, async () => {
      const result = await shell.run(onThisMachine(example.command), BLOCK_TIMEOUT_MS);
      if (example.expected === null) {
        // A command the doc shows no output for must at least succeed.
        expect(result.status, result.output).toBe(0);
        return;
      }
      const documented = onThisMachine(example.expected);
      // On a mismatch, the diff of both normalized shows what differs.
      if (!outputMatches(documented, result.output)) expect(normalizeOutput(result.output)).toBe(normalizeOutput(documented));
    }, BLOCK_TIMEOUT_MS + 5000);
  }
});
