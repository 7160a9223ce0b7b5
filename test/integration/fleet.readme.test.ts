// The README's fleet section, run as a user pastes it: its blocks in order in one shell, in the
// clone, with its data dirs in a temp dir and its ports free ones. etcd and two nodes; a process
// on rig-b through rig-a; rig-b's daemon killed; the process then runs on rig-a.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { docExamples } from '../support/docExamples.js';
import { ETCD_MISSING, freePort } from '../support/etcdCluster.js';
import { isAlive } from '../support/osProcesses.js';
import { makeTempDir, removeTempDirs } from '../support/tempDirs.js';
import { waitFor } from '../support/waitFor.js';

const README_MARK = 'fleet.readme.test.ts';
const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** The live processes whose command line names `dir`: what the README's commands started there. */
function startedIn(dir: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(dir) && isAlive(Number(entry))) found.push({ pid: Number(entry), cmdline });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

let dir: string | null = null;
afterEach(async () => {
  if (dir) {
    // Daemons first (each ends its jobs), then launchers left without one, then etcd.
    for (const kind of ['serve', 'sigma-launcher', 'etcd']) {
      const left = startedIn(dir).filter(({ cmdline }) => cmdline.includes(kind));
      for (const { pid } of left) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // Ended meanwhile.
        }
      }
      for (const { pid } of left) await waitFor(`pid ${pid} to end`, () => isAlive(pid), (alive) => !alive, 20_000);
    }
  }
  dir = null;
  removeTempDirs();
});

describe.skipIf(ETCD_MISSING !== null)("the README's fleet", () => {
  it('runs as written: two nodes on one etcd, a process created through one on the other, moved when that one dies', async () => {
    const readme = readFileSync(join(REPO_DIR, 'README.md'), 'utf8');
    const blocks = docExamples(readme).filter((example) => example.notRun?.includes(README_MARK));
    expect(blocks.length).toBe(3);
    dir = makeTempDir('sigma-readme-fleet-');
    const ports = new Map<string, string>();
    for (const port of ['2379', '2380', '8443', '8444']) ports.set(port, String(await freePort()));
    const adapted = (command: string): string =>
      command.replaceAll('./fleet/', `${dir}/`).replaceAll('fleet/', `${dir}/`).replace('mkdir -p fleet', `mkdir -p ${dir}`).replace(/\b(2379|2380|8443|8444)\b/g, (port: string) => ports.get(port) as string);
    const [start, use, kill] = blocks.map((block) => adapted(block.command)) as [string, string, string];
    // Between the blocks, what a user does by eye: wait until both nodes serve and have met.
    const waitForNodes = `until [ -f ${dir}/rig-a/daemon.json ] && [ -f ${dir}/rig-b/daemon.json ]; do sleep 0.2; done; sleep 3`;
    const script = [start, waitForNodes, 'echo "--- use"', use, 'echo "--- kill"', kill].join('\n');
    const run = spawnSync('bash', ['-e', '-c', script], { cwd: REPO_DIR, encoding: 'utf8', timeout: 120_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    if (run.stderr !== '') process.stderr.write(`${run.stdout}\n${['etcd', 'rig-a', 'rig-b'].map((name) => readFileSync(join(dir as string, `${name}.log`), 'utf8').slice(-3000)).join('\n')}\n`);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const [, used = '', killed = ''] = run.stdout.split(/--- use\n|--- kill\n/);
    expect(used).toMatch(/^created \d+ probe \(ONE_SHOT\) on node rig-b: RUNNING$/m);
    expect(used).toMatch(/^rig-a +up /m);
    expect(used).toMatch(/^rig-b +up /m);
    expect(used).toMatch(/^\d+ +probe +rig-b +default +ONE_SHOT +- +RUNNING /m);
    expect(killed).toMatch(/^\d+ +probe +rig-a +default +ONE_SHOT +- +RUNNING /m);
    // One job of it on the machine, rig-a's: rig-b's launcher ended its own.
    const nodeIds = ['rig-a', 'rig-b'].map((node) => readFileSync(join(dir as string, node, 'node-id'), 'utf8').trim());
    const jobsOf = (nodeId: string) => startedIn('sleep 600').filter(({ pid }) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`SIGMA_NODE_ID=${nodeId}`));
    expect(jobsOf(nodeIds[0] as string).length).toBe(1);
    expect(jobsOf(nodeIds[1] as string).length).toBe(0);
  }, 180_000);
});
