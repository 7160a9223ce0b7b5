// The docs' examples as a reader meets them, run in order on one daemon in a fresh clone's
// directory after `npm start`: what the first start prints (README, Run it), the quick start, the
// walk-through, the command line, partitions and the dashboard. Each command prints what the doc shows, but for
// what test/support/exampleOutput.ts lists as different on each machine.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docExamples, sectionOutput, type DocExample } from '../support/docExamples.js';
import { ExampleShell } from '../support/exampleShell.js';
import { normalizeOutput, outputMatches } from '../support/exampleOutput.js';
import { skipOrFail } from '../support/requiredCapabilities.js';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';
import { makeTempDir, removeTempDirs } from '../support/tempDirs.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const WALKTHROUGH = 'docs/walkthrough.md';
const CLI = 'docs/cli.md';
const PARTITIONS = 'docs/partitions.md';
/** Its two commands run tests of their own: both are marked not run. */
const DASHBOARD = 'docs/dashboard.md';
/** The address the docs show; the test's daemon listens on a free port instead. */
const DOCUMENTED_ADDRESS = '127.0.0.1:8443';
/** The clone's directory in the docs' outputs. */
const DOCUMENTED_CLONE = '/home/you/sigma';
const BLOCK_TIMEOUT_MS = 25_000;
/** Commands that change nothing, whose output may be asked again when it caught a passing moment. */
const READ_ONLY = /^\$? ?sigma (show|ps)\b/;
const READS_ASKED_AGAIN = 3;

const read = (file: string): string => readFileSync(join(REPO, file), 'utf8');
/** In the order a reader meets them: the walk-through goes on from the quick start's daemon. */
const examples: Array<DocExample & { file: string }> = [
  ...docExamples(read('README.md')).map((example) => ({ ...example, file: 'README.md' })),
  ...docExamples(read(WALKTHROUGH)).map((example) => ({ ...example, file: WALKTHROUGH })),
  ...docExamples(read(CLI)).map((example) => ({ ...example, file: CLI })),
  ...docExamples(read(PARTITIONS)).map((example) => ({ ...example, file: PARTITIONS })),
  ...docExamples(read(DASHBOARD)).map((example) => ({ ...example, file: DASHBOARD })),
];

describe(`the examples of the README's quick start, ${WALKTHROUGH}, ${CLI}, ${PARTITIONS} and ${DASHBOARD}`, () => {
  let daemon: SigmaDaemon;
  let shell: ExampleShell;
  let address = '';
  let cloneDir = '';
  /** Why this node does not hold every partition limit (its cgroups), null when it does. */
  let unenforcedLimits: string | null = null;

  /** The doc's text as it reads on this daemon: its address, its clone, its temp files. */
  const onThisMachine = (text: string): string =>
    text.replaceAll(DOCUMENTED_ADDRESS, address).replaceAll(DOCUMENTED_CLONE, cloneDir).replaceAll('/tmp/sigma-openapi.json', join(cloneDir, 'sigma-openapi.json'));

  beforeAll(async () => {
    cloneDir = makeTempDir('sigma-clone-');
    // As `npm start` in the clone: TLS, a generated token, the data dir at ./sigma-data.
    daemon = await SigmaDaemon.start({ dataDir: join(cloneDir, 'sigma-data'), tls: true, withToken: false });
    address = new URL(daemon.url).host;
    const limits: Record<string, string | null> = (await daemon.request('GET', '/node')).body.partitionLimits;
    const unenforced = Object.entries(limits).filter(([, why]) => why !== null);
    unenforcedLimits = unenforced.length === 0 ? null : unenforced.map(([limit, why]) => `${limit}: ${why}`).join('; ');
    shell = new ExampleShell(cloneDir, REPO);
  });

  afterAll(async () => {
    await daemon?.stop();
    await cleanUpDaemons();
    removeTempDirs();
  });

  /** On a mismatch, the diff of both normalized shows what differs, and the message what was printed. */
  const expectAsDocumented = (documented: string, printed: string): void => {
    if (!outputMatches(onThisMachine(documented), printed)) expect(normalizeOutput(printed), `printed:\n${printed}`).toBe(normalizeOutput(onThisMachine(documented)));
  };

  it('README.md, Run it: the first start prints what it shows', () => {
    expectAsDocumented(sectionOutput(read('README.md'), 'Run it'), daemon.stdoutLines.join('\n'));
  });

  it('has examples, each run or marked with why not', () => {
    expect(examples.filter((example) => example.file === 'README.md' && example.notRun === null).length).toBeGreaterThanOrEqual(3);
    for (const file of [WALKTHROUGH, CLI, PARTITIONS]) expect(examples.filter((example) => example.file === file && example.notRun === null).length, file).toBeGreaterThan(10);
  });

  for (const example of examples) {
    const title = `${example.file}:${example.lineNumber}: ${example.command.split('\n')[0]}`;
    if (example.notRun !== null) {
      it.skip(`${title} (not run: ${example.notRun})`, () => undefined);
      continue;
    }
    it(title, async (context) => {
      // The partitions' examples show a node that holds every limit: `unenforced` is empty there.
      if (example.file === PARTITIONS && unenforcedLimits !== null) skipOrFail(context, 'cgroups', `this node does not hold every partition limit (${unenforcedLimits})`);
      let result = await shell.run(onThisMachine(example.command), BLOCK_TIMEOUT_MS);
      if (example.expected === null) {
        // A command the doc shows no output for must at least succeed.
        expect(result.status, result.output).toBe(0);
        return;
      }
      // A read of a live PERIODIC process may catch its job running (a few ms of each period),
      // where the doc shows it waiting: a read is asked again, as a reader would run it again.
      for (let again = 0; again < READS_ASKED_AGAIN && READ_ONLY.test(example.command) && !outputMatches(onThisMachine(example.expected), result.output); again++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        result = await shell.run(onThisMachine(example.command), BLOCK_TIMEOUT_MS);
      }
      expectAsDocumented(example.expected, result.output);
    }, BLOCK_TIMEOUT_MS + 5000);
  }
});
