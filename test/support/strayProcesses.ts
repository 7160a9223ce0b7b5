// Processes a test's jobs started outside their process group: remembered with their start time,
// and killed after the test if they are still the same processes (pids wrap quickly under load).
import { startTimeOf } from './osProcesses.js';

const strays = new Map<number, string | null>();

export function trackStray(pid: number): void {
  if (!strays.has(pid)) strays.set(pid, startTimeOf(pid));
}

/** Call from afterEach. */
export function killStrays(): void {
  for (const [pid, startTime] of strays) {
    if (startTime === null || startTimeOf(pid) !== startTime) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone in between.
    }
  }
  strays.clear();
}
