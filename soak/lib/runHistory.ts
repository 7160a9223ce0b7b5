// The runs of the periodic processes as read from GET /processes/{id}/runs during the soak, each
// kept once (the daemon keeps only the last 100 of a process, so they are read as they come).

export interface RunJson {
  readonly id: number;
  readonly pid: number | null;
  readonly releaseAt: string | null;
  readonly releaseLatenessMs: number | null;
}

interface ProcessRuns {
  readonly latenessByRunId: Map<number, number>;
  readonly spawnFailureRunIds: Set<number>;
  earliestReleaseAtMs: number;
}

export class RunHistory {
  private readonly byProcess = new Map<number, ProcessRuns>();

  record(processId: number, runs: readonly RunJson[]): void {
    let entry = this.byProcess.get(processId);
    if (!entry) {
      entry = { latenessByRunId: new Map(), spawnFailureRunIds: new Set(), earliestReleaseAtMs: Number.POSITIVE_INFINITY };
      this.byProcess.set(processId, entry);
    }
    for (const run of runs) {
      if (run.releaseLatenessMs !== null) entry.latenessByRunId.set(run.id, run.releaseLatenessMs);
      if (run.pid === null) entry.spawnFailureRunIds.add(run.id);
      if (run.releaseAt !== null) entry.earliestReleaseAtMs = Math.min(entry.earliestReleaseAtMs, Date.parse(run.releaseAt));
    }
  }

  /** The earliest release point seen among the runs of a process (on its grid), or null. */
  earliestReleaseAtMs(processId: number): number | null {
    const earliest = this.byProcess.get(processId)?.earliestReleaseAtMs;
    return earliest === undefined || !Number.isFinite(earliest) ? null : earliest;
  }

  /** Releases whose spawn failed (a run without a pid): accounted for in `failures`, not `runs`. */
  spawnFailuresSeen(processId: number): number {
    return this.byProcess.get(processId)?.spawnFailureRunIds.size ?? 0;
  }

  latenessSamplesMs(): number[] {
    const samples: number[] = [];
    for (const entry of this.byProcess.values()) for (const latenessMs of entry.latenessByRunId.values()) samples.push(latenessMs);
    return samples;
  }
}
