// A test that cannot run on this machine is skipped, saying why; where CI sets
// SIGMA_REQUIRE_CGROUPS=1, SIGMA_REQUIRE_TMPFS=1, SIGMA_REQUIRE_PRLIMIT=1 or
// SIGMA_REQUIRE_LOOP_DEVICE=1, that skip is a failure instead, so a detection that wrongly says
// "cannot" never turns enforcement tests into skips.
import type { TestContext } from 'vitest';

export type Capability = 'cgroups' | 'tmpfs' | 'prlimit' | 'loopDevice';

const VARIABLES: Record<Capability, string> = {
  cgroups: 'SIGMA_REQUIRE_CGROUPS',
  tmpfs: 'SIGMA_REQUIRE_TMPFS',
  prlimit: 'SIGMA_REQUIRE_PRLIMIT',
  loopDevice: 'SIGMA_REQUIRE_LOOP_DEVICE',
};

/** True where the environment demands that tests needing `capability` run. */
export function isRequired(capability: Capability): boolean {
  return process.env[VARIABLES[capability]] === '1';
}

/**
 * Skips the test with `why` (printed, so a skip is seen in the run's output), or fails it where
 * the capability is required. Never returns.
 */
export function skipOrFail(context: TestContext, capability: Capability, why: string): never {
  const where = `${context.task.file?.name ?? ''}: ${context.task.name}`;
  if (isRequired(capability)) throw new Error(`${VARIABLES[capability]}=1, but ${where} cannot run here: ${why}`);
  console.warn(`${where} skipped: ${why}`);
  return context.skip(why);
}
