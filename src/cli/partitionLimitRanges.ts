// The ranges of the API's partition limits, for the command line's flags and the apply file (the
// daemon checks them again). Kept equal to its PARTITION_LIMITS by test/cli/partitionLimitRanges.test.ts,
// not imported from there so that the command line does not load the schemas.
export const PARTITION_LIMIT_RANGES = {
  maxRunning: { min: 1, max: 100_000 },
  cpu: { min: 0.01, max: 1024 },
  memoryBytes: { min: 1_048_576, max: Number.MAX_SAFE_INTEGER },
  pids: { min: 2, max: 4_194_304 },
  maxProcesses: { min: 1, max: 1_000_000 },
  definitionBytes: { min: 1024, max: Number.MAX_SAFE_INTEGER },
} as const;
