// The soak's flags: how long to load the daemon and how hard, read once from argv.

export interface SoakOptions {
  readonly loadSeconds: number;
  /** The same load before the measured part, so that RSS is compared from a warm daemon. */
  readonly warmupSeconds: number;
  readonly clients: number;
  readonly periodicCount: number;
  readonly periodMs: number;
  /** ONE_SHOT name slots the clients create, operate and delete. */
  readonly poolSlots: number;
  /** Periodic processes (the first ones) the clients also SUSPEND and RESUME. */
  readonly toggledPeriodicCount: number;
  readonly tls: boolean;
  /** The daemon's --log-level; debug for an investigation. */
  readonly daemonLogLevel: string;
  /** A directory for the daemon's --cpu-prof output, or null. */
  readonly cpuProfileDir: string | null;
  readonly keepDataDir: boolean;
}

export const USAGE = `npm run soak [-- flags]
  --duration SECONDS   seconds of load (default 60)
  --quick              10 seconds of load (for CI)
  --warmup SECONDS     unmeasured load before it, part of the setup (default 45)
  --clients N          concurrent clients (default 64)
  --no-tls             plain HTTP instead of HTTPS
  --log-level LEVEL    the daemon's log level (default warn); its log goes to soak/results/daemon.log
  --cpu-prof DIR       run the daemon with node --cpu-prof into DIR
  --keep-data          keep the daemon's data dir (its path is printed)`;

/**
 * Under this load the daemon's memory climbs for about 45 s before it levels off (its RSS outside
 * V8's heap, read every second: 68.6 MiB at the start of the load, 75 MiB from 45 s on, flat to
 * 60 s): a warm-up shorter than that lets a short run read the climb as growth.
 */
const DEFAULT_WARMUP_SECONDS = 45;

export class UsageError extends Error {}

export function parseSoakOptions(argv: readonly string[]): SoakOptions {
  let loadSeconds = 60;
  let warmupSeconds: number | null = null;
  let clients = 64;
  let tls = true;
  let daemonLogLevel = 'warn';
  let cpuProfileDir: string | null = null;
  let keepDataDir = false;
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = (): string => {
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      i += 1;
      return next;
    };
    switch (flag) {
      case '--duration':
        loadSeconds = positiveNumber(flag, value());
        break;
      case '--warmup':
        warmupSeconds = Number(value());
        if (!Number.isFinite(warmupSeconds) || warmupSeconds < 0) throw new UsageError('--warmup needs a number of seconds, 0 or more');
        break;
      case '--quick':
        loadSeconds = 10;
        break;
      case '--clients':
        clients = Math.floor(positiveNumber(flag, value()));
        break;
      case '--no-tls':
        tls = false;
        break;
      case '--log-level':
        daemonLogLevel = value();
        break;
      case '--cpu-prof':
        cpuProfileDir = value();
        break;
      case '--keep-data':
        keepDataDir = true;
        break;
      default:
        throw new UsageError(`unknown flag ${flag}`);
    }
  }
  return {
    loadSeconds,
    warmupSeconds: warmupSeconds ?? DEFAULT_WARMUP_SECONDS,
    clients,
    periodicCount: 100,
    periodMs: 100,
    poolSlots: 32,
    toggledPeriodicCount: 20,
    tls,
    daemonLogLevel,
    cpuProfileDir,
    keepDataDir,
  };
}

function positiveNumber(flag: string, text: string): number {
  const number = Number(text);
  if (!Number.isFinite(number) || number <= 0) throw new UsageError(`${flag} needs a positive number, not "${text}"`);
  return number;
}
