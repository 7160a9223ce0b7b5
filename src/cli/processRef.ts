// ID|NAME arguments: an all-digit argument is an id, anything else a name.
import type { ProcessJson } from './apiTypes.js';
import type { SigmaClient } from './sigmaClient.js';

/** The process an argument names, as the daemon knows it now; a CliError (not found) if none. */
export async function fetchProcess(client: SigmaClient, ref: string): Promise<ProcessJson> {
  const path = /^\d+$/.test(ref) ? `/processes/${ref}` : `/processes?process_name=${encodeURIComponent(ref)}`;
  const answer = await client.json<{ processes: ProcessJson[] }>('GET', path);
  const found = answer.processes[0];
  if (!found) throw new Error(`GET ${path} answered no process`);
  return found;
}
