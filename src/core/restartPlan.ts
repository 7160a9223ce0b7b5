// The restart policy's arithmetic: whether an ended job is restarted, after which delay, and when
// sigma gives up. Pure functions of the policy, what it remembers and the clock.
import type { RestartLog, RestartPolicy } from './processModel.js';

export type RestartPlan =
  | { readonly kind: 'RESTART'; readonly delayMs: number; readonly log: RestartLog }
  | { readonly kind: 'GIVE_UP'; readonly reason: string };

/** `failed`: a non-zero exit, a signal sigma did not send, or a spawn that failed. */
export function wantsRestart(policy: RestartPolicy, failed: boolean): boolean {
  switch (policy.policy) {
    case 'never':
      return false;
    case 'on-failure':
      return failed;
    case 'always':
      return true;
  }
}

/** The restarts still inside the policy's window at nowMs. */
export function restartsInWindow(policy: RestartPolicy, log: RestartLog, nowMs: number): readonly number[] {
  return log.recentAtMs.filter((atMs) => atMs > nowMs - policy.limit.windowMs);
}

/**
 * The plan for a job that ended at nowMs after running ranMs: the delay doubles after each
 * consecutive restart up to maxDelayMs, and starts again from delayMs after a job that ran
 * longer than maxDelayMs. With `limit.count` restarts inside the window already, sigma gives up.
 */
export function planRestart(policy: RestartPolicy, log: RestartLog, nowMs: number, ranMs: number): RestartPlan {
  const recent = restartsInWindow(policy, log, nowMs);
  if (recent.length >= policy.limit.count) {
    return { kind: 'GIVE_UP', reason: `restart limit reached: ${recent.length} restarts in ${policy.limit.windowMs / 1000} s` };
  }
  const inARow = log.lastDelayMs !== null && ranMs <= policy.maxDelayMs;
  const delayMs = inARow ? Math.min((log.lastDelayMs as number) * 2, policy.maxDelayMs) : Math.min(policy.delayMs, policy.maxDelayMs);
  return { kind: 'RESTART', delayMs, log: { lastDelayMs: delayMs, recentAtMs: recent } };
}

/** The log once a restart has been released at nowMs. */
export function withRestartAt(policy: RestartPolicy, log: RestartLog, nowMs: number): RestartLog {
  return { lastDelayMs: log.lastDelayMs, recentAtMs: [...restartsInWindow(policy, log, nowMs), nowMs].slice(-policy.limit.count) };
}
