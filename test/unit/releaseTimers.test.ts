// Release timers: releases come in deadline order and never before their deadline, with either
// waiter; a cancelled or re-armed deadline does not fire as it was.
import { describe, expect, it } from 'vitest';
import { monotonicNowMs } from '../../src/runtime/clock.js';
import { RELEASE_WAITERS, ReleaseTimers } from '../../src/runtime/releaseTimers.js';

function collect(waiter: (typeof RELEASE_WAITERS)[number]) {
  const released: Array<{ processId: number; atMs: number }> = [];
  let notify: () => void = () => {};
  const timers = new ReleaseTimers(monotonicNowMs, (processId) => {
    released.push({ processId, atMs: monotonicNowMs() });
    notify();
  }, { waiter });
  const until = (count: number) =>
    new Promise<void>((resolve) => {
      notify = () => released.length >= count && resolve();
      notify();
    });
  return { timers, released, until };
}

describe.each(RELEASE_WAITERS)('ReleaseTimers with the %s waiter', (waiter) => {
  it('releases in deadline order, none before its deadline', async () => {
    const { timers, released, until } = collect(waiter);
    const nowMs = monotonicNowMs();
    const deadlines = new Map([[1, nowMs + 30], [2, nowMs + 10], [3, nowMs + 20]]);
    for (const [processId, atMs] of deadlines) timers.arm(processId, atMs);
    await until(3);
    timers.cancelAll();
    expect(released.map((r) => r.processId)).toEqual([2, 3, 1]);
    for (const r of released) expect(r.atMs).toBeGreaterThanOrEqual(deadlines.get(r.processId) as number);
  });

  it('forgets a cancelled deadline and keeps only the last of a re-armed one', async () => {
    const { timers, released, until } = collect(waiter);
    const nowMs = monotonicNowMs();
    timers.arm(1, nowMs + 5);
    timers.cancel(1);
    timers.arm(2, nowMs + 5);
    timers.arm(2, nowMs + 25);
    timers.arm(3, nowMs + 40);
    await until(2);
    timers.cancelAll();
    expect(released.map((r) => r.processId)).toEqual([2, 3]);
    expect(released[0]?.atMs).toBeGreaterThanOrEqual(nowMs + 25);
  });
});
