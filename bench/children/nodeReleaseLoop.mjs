// The bare Node baseline for periodic releases: `count` drift-free grids of `periodMs`, offset evenly
// within one period, on absolute deadlines (a timer that wakes early is re-armed for the rest), each
// spawning `child` (detached, output piped, SIGMA_RELEASE_AT_MS in its environment) for `durationMs`.
// A release that finds the grid's previous child still running is an overrun. Forwards the children's
// lines, then prints "wake <latenessMs>" per release decision and "summary <overruns> <missed>".
// argv: <count> <periodMs> <durationMs> <child argv...>
import { spawn } from 'node:child_process';

const [countText, periodText, durationText, child, ...childArgs] = process.argv.slice(2);
const count = Number(countText);
const periodMs = Number(periodText);
const cpuBefore = process.cpuUsage();
const now = () => performance.timeOrigin + performance.now();
const startMs = now() + 20;
const endMs = startMs + Number(durationText);
const wakes = [];
let overruns = 0;
let missed = 0;
let live = 0;
let armed = 0;
let output = '';

function release(grid, atMs) {
  if (grid.running) {
    overruns += 1;
    return;
  }
  const job = spawn(child, childArgs, { env: { ...process.env, SIGMA_RELEASE_AT_MS: atMs.toFixed(3) }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  grid.running = true;
  live += 1;
  job.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk));
  job.stderr.resume();
  job.once('close', () => {
    grid.running = false;
    live -= 1;
    finishIfDone();
  });
}

function arm(grid, atMs) {
  armed += 1;
  const fire = () => {
    const remainingMs = atMs - now();
    if (remainingMs > 0) {
      setTimeout(fire, remainingMs);
      return;
    }
    armed -= 1;
    wakes.push(now() - atMs);
    release(grid, atMs);
    let nextMs = atMs + periodMs;
    const afterMs = now();
    while (nextMs <= afterMs) {
      missed += 1;
      nextMs += periodMs;
    }
    if (nextMs < endMs) arm(grid, nextMs);
    else finishIfDone();
  };
  setTimeout(fire, Math.max(0, atMs - now()));
}

function finishIfDone() {
  if (armed > 0 || live > 0) return;
  process.stdout.write(output);
  process.stdout.write(wakes.map((ms) => `wake ${ms.toFixed(6)}\n`).join(''));
  const cpu = process.cpuUsage(cpuBefore);
  process.stdout.write(`summary ${overruns} ${missed}\ncpu ${((cpu.user + cpu.system) / 1000).toFixed(3)}\n`);
}

for (let index = 0; index < count; index += 1) arm({ running: false }, startMs + (periodMs * index) / count);
