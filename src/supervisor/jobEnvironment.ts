// The environment of a process's jobs: the daemon's, the process's own, and sigma's variables
// (the mark that finds a job's strays, and for a PERIODIC job its release point).
import type { ProcessDefinition } from '../core/processDefinition.js';
import { NODE_ID_VARIABLE, PROCESS_ID_VARIABLE } from '../runtime/markedProcesses.js';

/** Made once per definition, not per release. sigma's variables win over the process's own. */
export function jobEnvironment(baseEnv: Readonly<Record<string, string>>, nodeId: string, definition: ProcessDefinition): Record<string, string> {
  return {
    ...baseEnv,
    ...definition.env,
    [NODE_ID_VARIABLE]: nodeId,
    [PROCESS_ID_VARIABLE]: String(definition.id),
    SIGMA_PROCESS_NAME: definition.name,
  };
}

/** A periodic job learns which release it is, to measure or label its own work. */
export function withReleasePoint(env: Readonly<Record<string, string>>, releaseAtMs: number | null): Readonly<Record<string, string>> {
  return releaseAtMs === null ? env : { ...env, SIGMA_RELEASE_AT_MS: releaseAtMs.toFixed(3) };
}
