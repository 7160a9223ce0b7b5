// How many client connections the daemon holds at once: what the descriptor limit leaves once
// the daemon's own descriptors, a reserve for starting jobs, the files followed logs hold and, in
// process, the descriptors of running jobs are set aside. An idle connection costs an attacker
// nothing; a release that cannot open its pipes is a lost run.

/**
 * The daemon's own descriptors and some room: Node.js and libuv (epoll, signal pipes, the thread
 * pool's), the store (database, WAL, shared memory, lock), stdio, the launcher's socket, the
 * release thread, a log being read or rotated.
 */
export const OWN_DESCRIPTORS = 48;
/** Kept free at all times for starting jobs: a spawn's pipes, its log files, a program's descriptor. */
export const SPAWN_RESERVE_DESCRIPTORS = 32;
/** Connections held at least, whatever the limit: the API stays reachable on a starved node. */
export const FEWEST_CONNECTIONS = 8;

/**
 * The most connections the descriptor limit allows, and the default of --max-connections. A
 * followed log holds a file besides its connection: up to --max-streams of them are set aside.
 */
export function connectionCeiling(openFilesLimit: number, maxStreams: number): number {
  const free = openFilesLimit - OWN_DESCRIPTORS - SPAWN_RESERVE_DESCRIPTORS;
  return Math.max(FEWEST_CONNECTIONS, free - Math.min(maxStreams, Math.floor(free / 2)));
}

/**
 * The connections admitted right now: --max-connections, within the ceiling less what running
 * jobs hold (in process, each job's pipes and log files are the daemon's own descriptors).
 */
export function connectionsAdmitted(maxConnections: number, ceiling: number, jobDescriptors: number): number {
  return Math.max(FEWEST_CONNECTIONS, Math.min(maxConnections, ceiling - jobDescriptors));
}
