// The limits of a process definition that the client checks before sending (the daemon checks
// them again). Kept equal to the API's LIMITS by test/unit/cliDefinitionLimits.test.ts; not
// imported from there so that the command line does not load the schema library at start-up.
export const DEFINITION_LIMITS = {
  nameLength: 64,
  maxPeriodMs: 2_147_483_647,
  maxStopTimeoutMs: 3_600_000,
  defaultStopTimeoutMs: 5000,
  maxRestartDelayMs: 86_400_000,
  maxRestartLimitCount: 1000,
  maxRestartLimitWindowMs: 604_800_000,
  maxTimeCapacityMs: 2_147_483_647,
} as const;

export const RESTART_POLICY_NAMES = ['never', 'on-failure', 'always'] as const;

/** Names of processes and partitions, as the API takes them: checked here so that a typo exits 2. */
export const NAME_PATTERN = new RegExp(`^(?!\\.{1,2}$)[A-Za-z0-9_.-]{1,${DEFINITION_LIMITS.nameLength}}$`);
export const NAME_RULE = `1 to ${DEFINITION_LIMITS.nameLength} letters, digits, "_", "-" or "." (not "." or "..")`;

/** Names of a job's environment variables: letters, digits and _, not starting with a digit. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
