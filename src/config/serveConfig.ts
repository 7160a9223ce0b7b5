// The daemon's configuration, read once from the command line's options and the environment,
// validated, and frozen. No other module reads process.env.
import { resolve } from 'node:path';
import { PARTITION_TOKEN_PREFIX } from '../core/partition.js';
import type { ReleaseWaiter } from '../runtime/releaseTimers.js';

export interface ServeConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly tls: boolean;
  readonly tlsCertPath: string | null;
  readonly tlsKeyPath: string | null;
  /** The node token given by the operator; null to use (or generate) <data-dir>/token. */
  readonly token: string | null;
  readonly programsDir: string;
  readonly maxRunning: number | null;
  readonly logMaxBytes: number;
  readonly logLevel: string;
  /** /metrics without a token, for a scraper on a trusted network. */
  readonly metricsPublic: boolean;
  /** Whether to put each job in a cgroup of its own where one can be made. */
  readonly jobCgroups: boolean;
  /** Most event streams and followed logs open at once. */
  readonly maxStreams: number;
  /** Most client connections held at once; null: as many as the descriptor limit leaves after the reserve. */
  readonly maxConnections: number | null;
  /** A connection that has not sent a complete request this long after it opened (or after its last answer) is closed. */
  readonly requestTimeoutMs: number;
  /** Most processes defined on the node. */
  readonly maxProcesses: number;
  /** How PERIODIC releases wait for their point: timers of the event loop, or a thread of their own. */
  readonly releaseWaiter: ReleaseWaiter;
  /** Largest request body. */
  readonly maxBodyBytes: number;
  /** Refusals for a missing or wrong token per address and minute before they are slowed down; 0: never. */
  readonly authFailuresPerMinute: number;
  /** Largest command plus environment of one definition, in bytes as the job's exec receives them. */
  readonly maxDefinitionBytes: number;
  /** Most bytes of all the node's definitions together, counted as maxDefinitionBytes counts one. */
  readonly maxTotalDefinitionBytes: number;
  /** The environment jobs start from: the daemon's, less its own secrets. */
  readonly childBaseEnv: Readonly<Record<string, string>>;
  /** Where jobs run: the native launcher, the daemon's own process, or null: the launcher where one was built. */
  readonly launcher: LauncherChoice | null;
  /** The launcher program to start (env SIGMA_LAUNCHER_BINARY, for a sanitizer build); null: the one built. */
  readonly launcherBinary: string | null;
  /** Take over from the daemon running on this data dir: it hands its jobs over and exits. */
  readonly replace: boolean;
  /** The fleet this node joins (etcd), or null: a node on its own. */
  readonly fleet: FleetConfig | null;
}

export interface FleetConfig {
  /** etcd's client URLs. */
  readonly endpoints: readonly string[];
  readonly nodeName: string;
  readonly labels: Readonly<Record<string, string>>;
}

export type LauncherChoice = 'native' | 'in-process';

/** The options as the command line hands them over (strings, or false for --no-tls). */
export interface RawServeOptions {
  host?: string;
  port?: string;
  dataDir?: string;
  tls?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  token?: string;
  programsDir?: string;
  maxRunning?: string;
  logMaxBytes?: string;
  logLevel?: string;
  metricsPublic?: boolean;
  /** false for --no-cgroups. */
  cgroups?: boolean;
  maxStreams?: string;
  maxConnections?: string;
  requestTimeoutMs?: string;
  maxProcesses?: string;
  releaseWaiter?: string;
  maxBodyBytes?: string;
  maxDefinitionBytes?: string;
  maxTotalDefinitionBytes?: string;
  authFailuresPerMinute?: string;
  launcher?: string;
  replace?: boolean;
  fleet?: string;
  nodeName?: string;
  nodeLabel?: string[];
}

export class ConfigError extends Error {}

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8443,
  dataDir: './sigma-data',
  programsDirName: 'programs',
  logMaxBytes: 10 * 1024 * 1024,
  logLevel: 'info',
  maxStreams: 64,
  requestTimeoutMs: 30_000,
  maxProcesses: 10_000,
  maxBodyBytes: 64 * 1024,
  maxDefinitionBytes: 64 * 1024,
  maxTotalDefinitionBytes: 256 * 1024 * 1024,
  authFailuresPerMinute: 60,
} as const;

const SECRET_VARIABLES = ['SIGMA_TOKEN', 'SIGMA_LAUNCHER_BINARY'];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function buildServeConfig(options: RawServeOptions, env: NodeJS.ProcessEnv, cwd: string): ServeConfig {
  const dataDir = resolve(cwd, options.dataDir ?? env.SIGMA_DATA_DIR ?? SERVE_DEFAULTS.dataDir);
  const tls = options.tls !== false;
  const tlsCertPath = options.tlsCert ? resolve(cwd, options.tlsCert) : null;
  const tlsKeyPath = options.tlsKey ? resolve(cwd, options.tlsKey) : null;
  if ((tlsCertPath === null) !== (tlsKeyPath === null)) throw new ConfigError('--tls-cert and --tls-key go together: give both or neither');
  if (!tls && tlsCertPath) throw new ConfigError('--no-tls cannot be combined with --tls-cert/--tls-key');
  // An empty SIGMA_TOKEN counts as unset; an empty --token is refused below.
  const token = options.token ?? (env.SIGMA_TOKEN || null);
  if (token !== null && (token.length < 16 || /\s/.test(token))) {
    throw new ConfigError('the token must be at least 16 characters, without spaces');
  }
  if (token?.startsWith(PARTITION_TOKEN_PREFIX)) {
    throw new ConfigError(`the node token must not begin with ${PARTITION_TOKEN_PREFIX}: that is how partition tokens begin`);
  }
  const programsDir = options.programsDir ? resolve(cwd, options.programsDir) : resolve(dataDir, SERVE_DEFAULTS.programsDirName);
  const logLevel = options.logLevel ?? env.SIGMA_LOG_LEVEL ?? SERVE_DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const childBaseEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && !SECRET_VARIABLES.includes(key)) childBaseEnv[key] = value;
  }
  return Object.freeze({
    host: options.host ?? SERVE_DEFAULTS.host,
    port: integerOption('--port', options.port, SERVE_DEFAULTS.port, 0, 65535),
    dataDir,
    tls,
    tlsCertPath,
    tlsKeyPath,
    token,
    programsDir,
    maxRunning: options.maxRunning === undefined ? null : integerOption('--max-running', options.maxRunning, 0, 1, 1_000_000),
    logMaxBytes: integerOption('--log-max-bytes', options.logMaxBytes, SERVE_DEFAULTS.logMaxBytes, 64 * 1024, Number.MAX_SAFE_INTEGER),
    logLevel,
    metricsPublic: options.metricsPublic === true,
    jobCgroups: options.cgroups !== false,
    maxStreams: integerOption('--max-streams', options.maxStreams, SERVE_DEFAULTS.maxStreams, 1, 100_000),
    maxConnections: options.maxConnections === undefined ? null : integerOption('--max-connections', options.maxConnections, 0, 1, 10_000_000),
    requestTimeoutMs: integerOption('--request-timeout-ms', options.requestTimeoutMs, SERVE_DEFAULTS.requestTimeoutMs, 1000, 3_600_000),
    authFailuresPerMinute: integerOption('--auth-failures-per-minute', options.authFailuresPerMinute, SERVE_DEFAULTS.authFailuresPerMinute, 0, 1_000_000),
    releaseWaiter: releaseWaiterOption(options.releaseWaiter),
    maxProcesses: integerOption('--max-processes', options.maxProcesses, SERVE_DEFAULTS.maxProcesses, 1, 1_000_000),
    maxBodyBytes: integerOption('--max-body-bytes', options.maxBodyBytes, SERVE_DEFAULTS.maxBodyBytes, 1024, 16 * 1024 * 1024),
    maxDefinitionBytes: integerOption('--max-definition-bytes', options.maxDefinitionBytes, SERVE_DEFAULTS.maxDefinitionBytes, 1024, 16 * 1024 * 1024),
    maxTotalDefinitionBytes: integerOption(
      '--max-total-definition-bytes',
      options.maxTotalDefinitionBytes,
      SERVE_DEFAULTS.maxTotalDefinitionBytes,
      1024,
      Number.MAX_SAFE_INTEGER,
    ),
    childBaseEnv: Object.freeze(childBaseEnv),
    launcher: launcherOption(options.launcher),
    launcherBinary: env.SIGMA_LAUNCHER_BINARY ? resolve(cwd, env.SIGMA_LAUNCHER_BINARY) : null,
    replace: options.replace === true,
    fleet: fleetOption(options),
  });
}

const NODE_NAME = /^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$/i;
const LABEL_KEY = /^[a-z0-9](?:[a-z0-9._/-]{0,61}[a-z0-9])?$/i;

function fleetOption({ fleet, nodeName, nodeLabel }: RawServeOptions): FleetConfig | null {
  if (fleet === undefined) {
    if (nodeName !== undefined || (nodeLabel ?? []).length > 0) throw new ConfigError('--node-name and --node-label go with --fleet');
    return null;
  }
  const endpoints = fleet.split(',').map((endpoint) => endpoint.trim()).filter((endpoint) => endpoint !== '');
  if (endpoints.length === 0) throw new ConfigError('--fleet needs etcd client URLs, e.g. http://127.0.0.1:2379');
  for (const endpoint of endpoints) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new ConfigError(`--fleet: "${endpoint}" is not a URL (e.g. http://127.0.0.1:2379)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`--fleet: "${endpoint}" must be an http:// or https:// URL`);
  }
  if (nodeName === undefined) throw new ConfigError('--fleet needs --node-name: the name this node has in the fleet');
  if (!NODE_NAME.test(nodeName)) throw new ConfigError('--node-name: letters, digits, ".", "_" and "-", 1 to 63, beginning and ending with a letter or digit');
  const labels: Record<string, string> = {};
  for (const label of nodeLabel ?? []) {
    const [key, value] = [label.slice(0, label.indexOf('=')), label.slice(label.indexOf('=') + 1)];
    if (!label.includes('=') || !LABEL_KEY.test(key) || value.length > 63 || /[\x00-\x1f\x7f]/.test(value)) {
      throw new ConfigError(`--node-label: "${label}" is not key=value (a key of letters, digits, ".", "_", "/" and "-"; a value of up to 63 printable characters)`);
    }
    labels[key] = value;
  }
  return Object.freeze({ endpoints: Object.freeze(endpoints), nodeName, labels: Object.freeze(labels) });
}

function launcherOption(raw: string | undefined): LauncherChoice | null {
  if (raw === undefined) return null;
  if (raw !== 'native' && raw !== 'in-process') throw new ConfigError(`--launcher must be native or in-process, not "${raw}"`);
  return raw;
}

const RELEASE_WAITER_NAMES: Readonly<Record<string, ReleaseWaiter>> = { 'event-loop': 'eventLoop', thread: 'thread' };

function releaseWaiterOption(raw: string | undefined): ReleaseWaiter {
  if (raw === undefined) return 'eventLoop';
  const waiter = RELEASE_WAITER_NAMES[raw];
  if (!waiter) throw new ConfigError(`--release-waiter must be event-loop or thread, not "${raw}"`);
  return waiter;
}

function integerOption(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${flag} must be an integer, not "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${flag} must be between ${min} and ${max}`);
  return value;
}
