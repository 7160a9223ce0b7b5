// Slows down whoever keeps sending a missing or wrong token: past the allowed failures in a
// minute, each further refusal from that address comes late (longer each time, up to a cap)
// and as 429 with Retry-After. The right token always passes at once, so an operator on the
// same address is never locked out; guessing a 256-bit token was hopeless anyway, this keeps
// the log and the CPU quiet.
const WINDOW_MS = 60_000;
const FIRST_DELAY_MS = 100;
const LONGEST_DELAY_MS = 2000;
/** Addresses remembered at most; the oldest window is forgotten first. */
const ADDRESSES_KEPT = 10_000;

interface FailureWindow {
  startMs: number;
  failures: number;
}

export interface Throttling {
  readonly delayMs: number;
  readonly retryAfterSeconds: number;
}

export class AuthThrottle {
  private readonly windows = new Map<string, FailureWindow>();

  /** `failuresPerMinute` 0 turns throttling off. */
  constructor(
    private readonly failuresPerMinute: number,
    private readonly clock: () => number,
  ) {}

  /** Counts a refused request; answers how to slow the answer down, or null when within the allowance. */
  recordFailure(address: string): Throttling | null {
    if (this.failuresPerMinute === 0) return null;
    const nowMs = this.clock();
    let window = this.windows.get(address);
    if (!window || nowMs - window.startMs >= WINDOW_MS) {
      this.windows.delete(address);
      window = { startMs: nowMs, failures: 0 };
      this.windows.set(address, window);
      if (this.windows.size > ADDRESSES_KEPT) this.windows.delete(this.windows.keys().next().value as string);
    }
    window.failures += 1;
    const excess = window.failures - this.failuresPerMinute;
    if (excess <= 0) return null;
    return {
      delayMs: Math.min(LONGEST_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(excess - 1, 10)),
      retryAfterSeconds: Math.max(1, Math.ceil((window.startMs + WINDOW_MS - nowMs) / 1000)),
    };
  }
}
