// Release timers on absolute deadlines: a timer that wakes early is re-armed for the rest,
// so releases stay on the grid whatever setTimeout's rounding does.
import type { Clock } from './clock.js';

export class ReleaseTimers {
  private readonly timers = new Map<number, NodeJS.Timeout>();

  constructor(
    private readonly clock: Clock,
    private readonly onRelease: (processId: number) => void,
  ) {}

  arm(processId: number, atMs: number): void {
    this.cancel(processId);
    const fire = (): void => {
      const remainingMs = atMs - this.clock();
      if (remainingMs > 0) {
        this.timers.set(processId, setTimeout(fire, remainingMs));
        return;
      }
      this.timers.delete(processId);
      this.onRelease(processId);
    };
    this.timers.set(processId, setTimeout(fire, Math.max(0, atMs - this.clock())));
  }

  cancel(processId: number): void {
    const timer = this.timers.get(processId);
    if (timer) clearTimeout(timer);
    this.timers.delete(processId);
  }

  cancelAll(): void {
    for (const processId of [...this.timers.keys()]) this.cancel(processId);
  }
}
