// The limits of a process definition that the client checks before sending (the daemon checks
// them again). Kept equal to the API's LIMITS by test/unit/cliDefinitionLimits.test.ts; not
// imported from there so that the command line does not load the schema library at start-up.
export const DEFINITION_LIMITS = {
  nameLength: 64,
  maxPeriodMs: 2_147_483_647,
  maxStopTimeoutMs: 3_600_000,
  defaultStopTimeoutMs: 5000,
} as const;
