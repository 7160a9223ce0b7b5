// How long and how often each part runs: the full run (under 10 minutes) or --quick (about 2 minutes,
// a smoke run whose figures are rough, with fewer processes and jobs in the scale and peers sections;
// the restart section keeps its 1,000 live jobs, with one kill and one --replace).

export interface Plan {
  readonly quick: boolean;
  /** Interleaved A/B rounds of each comparison. */
  readonly rounds: number;
  readonly readDurationS: number;
  readonly readConnections: readonly number[];
  readonly readCounts: readonly number[];
  readonly operationSamples: number;
  readonly shortJobs: number;
  readonly shortJobRounds: number;
  /** Total time each release engine runs per period, split over releaseRounds. */
  readonly releaseSeconds: number;
  readonly releaseRounds: number;
  readonly releaseProcesses: number;
  readonly releasePeriodsMs: readonly number[];
  /** Live `sleep` jobs the restart section's daemon holds across each restart. */
  readonly restartJobs: number;
  /** Restarts of each kind (SIGKILL + start, --replace), alternated. */
  readonly restartRounds: number;
  /** How long the PERIODIC processes run between two restarts. */
  readonly restartSteadyMs: number;
  readonly idleWindowMs: number;
  readonly definedCounts: readonly number[];
  readonly liveCounts: readonly number[];
  readonly peerProcesses: number;
  readonly peerSamples: number;
  /** Processes on each of the fleet section's three nodes. */
  readonly fleetProcessesPerNode: number;
  /** Requests timed per round in the fleet section (lists, PUTs). */
  readonly fleetSamples: number;
  /** Relocatable processes on the node the fleet section kills, and how many times it kills it. */
  readonly fleetRelocatable: number;
  readonly fleetRelocationRounds: number;
}

export function planFor(quick: boolean): Plan {
  return quick
    ? {
        quick,
        rounds: 1,
        readDurationS: 0.15,
        readConnections: [1, 16, 64],
        readCounts: [100, 1000],
        operationSamples: 10,
        shortJobs: 200,
        shortJobRounds: 1,
        releaseSeconds: 1,
        releaseRounds: 1,
        releaseProcesses: 20,
        releasePeriodsMs: [10, 100],
        restartJobs: 1000,
        restartRounds: 1,
        restartSteadyMs: 1000,
        idleWindowMs: 500,
        definedCounts: [0, 500, 2000],
        liveCounts: [0, 100, 300],
        peerProcesses: 30,
        peerSamples: 5,
        fleetProcessesPerNode: 100,
        fleetSamples: 20,
        fleetRelocatable: 5,
        fleetRelocationRounds: 1,
      }
    : {
        quick,
        rounds: 3,
        readDurationS: 0.6,
        readConnections: [1, 16, 64],
        readCounts: [100, 1000],
        operationSamples: 40,
        shortJobs: 1000,
        shortJobRounds: 3,
        releaseSeconds: 20,
        releaseRounds: 4,
        releaseProcesses: 20,
        releasePeriodsMs: [10, 100],
        restartJobs: 1000,
        restartRounds: 3,
        restartSteadyMs: 3000,
        idleWindowMs: 3000,
        definedCounts: [0, 1000, 10_000],
        liveCounts: [0, 100, 1000],
        peerProcesses: 100,
        peerSamples: 20,
        fleetProcessesPerNode: 1000,
        fleetSamples: 100,
        fleetRelocatable: 20,
        fleetRelocationRounds: 3,
      };
}
