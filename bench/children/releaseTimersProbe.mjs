// Lateness of the release decision itself: sigma's ReleaseTimers (from the build given) drive
// `count` drift-free grids of `periodMs` for `durationMs` with the given waiter, without spawning
// anything. Prints "wake <latenessMs>" per release (decided in a setImmediate, as the daemon does)
// and "cpu <ms>" for the whole process (all threads).
// argv: <releaseTimers.js> <eventLoop|thread> <count> <periodMs> <durationMs>
import { pathToFileURL } from 'node:url';

const [modulePath, waiter, countText, periodText, durationText] = process.argv.slice(2);
const { ReleaseTimers } = await import(pathToFileURL(modulePath).href);
const clock = () => performance.timeOrigin + performance.now();
const count = Number(countText);
const periodMs = Number(periodText);
const startMs = clock() + 50;
const endMs = startMs + Number(durationText);
const nextAtMs = new Map();
const lateness = [];
const timers = new ReleaseTimers(
  clock,
  (processId) =>
    setImmediate(() => {
      const atMs = nextAtMs.get(processId);
      lateness.push(clock() - atMs);
      const next = atMs + periodMs;
      if (next < endMs) {
        nextAtMs.set(processId, next);
        timers.arm(processId, next);
      } else {
        nextAtMs.delete(processId);
        if (nextAtMs.size === 0) finish();
      }
    }),
  { waiter },
);
const cpuBefore = process.cpuUsage();
for (let processId = 1; processId <= count; processId += 1) {
  const atMs = startMs + (periodMs * (processId - 1)) / count;
  nextAtMs.set(processId, atMs);
  timers.arm(processId, atMs);
}
// A waiter thread is unref'd: this keeps the probe alive until the last release.
const keepAlive = setInterval(() => {}, 1000);

function finish() {
  const cpu = process.cpuUsage(cpuBefore);
  timers.cancelAll();
  clearInterval(keepAlive);
  process.stdout.write(lateness.map((ms) => `wake ${ms.toFixed(6)}\n`).join(''));
  process.stdout.write(`cpu ${((cpu.user + cpu.system) / 1000).toFixed(3)}\n`);
}
