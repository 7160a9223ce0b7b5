// `sigma serve`: runs the daemon in the foreground until SIGTERM or SIGINT.
import { register } from 'node:module';
import { Command, Option } from 'commander';
import { MODULE_SOURCES_HOOK_URL } from '../builtFiles.js';
import { buildServeConfig, ConfigError, SERVE_DEFAULTS, type RawServeOptions } from '../config/serveConfig.js';
import type { RunningDaemon } from '../daemon/runDaemon.js';
import { readOpenFilesLimit } from '../runtime/openFilesLimit.js';

/** Below this descriptor limit, the daemon's modules are read one at a time (moduleSourcesOneByOne). */
const FEW_DESCRIPTORS = 512;

export function serveCommand(): Command {
  return new Command('serve')
    .description('Run the sigma daemon in the foreground: the SIGMA Process Manager API over HTTPS.')
    .option('--host <host>', 'address to listen on', SERVE_DEFAULTS.host)
    .option('--port <port>', 'port to listen on (0: any free port)', String(SERVE_DEFAULTS.port))
    .option('--data-dir <dir>', `store, token, certificate and logs (env SIGMA_DATA_DIR; default ${SERVE_DEFAULTS.dataDir})`)
    .option('--no-tls', 'serve plain HTTP (behind a TLS proxy, or in tests)')
    .option('--tls-cert <file>', 'PEM certificate to serve (with --tls-key) instead of the generated one')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .addOption(new Option('--token <token>', 'the node token (prefer env SIGMA_TOKEN: flags show in ps); default: <data-dir>/token, generated at first start'))
    .option('--programs-dir <dir>', 'where a process created without "command" finds the executable named after it (default <data-dir>/programs)')
    .option('--max-running <n>', 'most jobs running at once on the node; a released job without a slot waits in READY (default: no limit)')
    .option('--log-max-bytes <n>', `size of a job's log file before it rotates to <file>.1 (default ${SERVE_DEFAULTS.logMaxBytes})`)
    .option('--metrics-public', 'serve /metrics without the token (for a Prometheus scraper on a trusted network)')
    .option('--no-cgroups', 'track jobs by process group and environment mark only, even where a cgroup per job could be made')
    .option('--max-streams <n>', `most event streams and followed logs open at once (default ${SERVE_DEFAULTS.maxStreams}); a partition token holds an eighth at most, and the last eighth is the node token's`)
    .option('--max-connections <n>', 'most client connections held at once; at the limit a new one replaces the one idle the longest (default: what the descriptor limit leaves after a reserve for the store, logs and starting jobs, which is also the most allowed)')
    .option('--request-timeout-ms <ms>', `a connection that sends no complete request this long after it opened or after its last answer is closed (default ${SERVE_DEFAULTS.requestTimeoutMs})`)
    .option('--auth-failures-per-minute <n>', `refusals for a missing or wrong token from one address per minute before further ones are slowed down and answered 429 (0: never; default ${SERVE_DEFAULTS.authFailuresPerMinute})`)
    .option('--release-waiter <waiter>', 'how PERIODIC releases wait for their point: event-loop (default), or thread (one worker thread, about 0.1 ms late instead of about 0.6 ms, for a little more CPU per release)')
    .option('--launcher <launcher>', 'where jobs run: native (the sigma-launcher program: jobs outlive the daemon, releases never wait for it) or in-process (default: native where it was built)')
    .option('--replace', 'take over from the daemon running on this data dir: it hands its jobs to this one and exits, and no job ends (native launcher)')
    .option('--fleet <urls>', 'join a fleet: etcd client URLs, comma-separated (docs/fleet.md)')
    .option('--node-name <name>', 'this node\'s name in the fleet (with --fleet)')
    .option('--node-label <key=value>', 'a label of this node in the fleet, for placement (with --fleet; repeatable)', (label: string, labels: string[] = []) => [...labels, label])
    .option('--max-processes <n>', `most processes defined on the node (default ${SERVE_DEFAULTS.maxProcesses})`)
    .option('--max-body-bytes <n>', `largest request body (default ${SERVE_DEFAULTS.maxBodyBytes})`)
    .option('--max-definition-bytes <n>', `largest command plus env of one process, in bytes (default ${SERVE_DEFAULTS.maxDefinitionBytes})`)
    .option('--max-total-definition-bytes <n>', `most bytes of all processes' command plus env together, on the node (default ${SERVE_DEFAULTS.maxTotalDefinitionBytes})`)
    .option('--log-level <level>', `daemon log level on stderr: fatal, error, warn, info, debug, trace, silent (env SIGMA_LOG_LEVEL; default ${SERVE_DEFAULTS.logLevel})`)
    .addHelpText(
      'after',
      `
Examples:
  sigma serve                                  HTTPS on 127.0.0.1:8443, data in ./sigma-data
  sigma serve --port 9443 --data-dir /var/lib/sigma --max-running 4
  SIGMA_TOKEN=$(cat token) sigma serve --no-tls --host 127.0.0.1 --port 8080`,
    )
    .action(async (options: RawServeOptions) => {
      let config;
      try {
        config = buildServeConfig(options, process.env, process.cwd());
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        fail(error.message, 2);
      }
      // Handlers first: a signal during the start is honoured once the daemon is up.
      let daemon: RunningDaemon | null = null;
      let stopRequested = false;
      const stop = (running: RunningDaemon): void => {
        running.stop().then(
          () => process.exit(0),
          (error: unknown) => fail(`shutdown failed: ${String(error)}`, 1),
        );
      };
      const onSignal = (signal: NodeJS.Signals): void => {
        if (stopRequested) {
          // A second signal: the operator will not wait for the jobs' grace periods.
          process.stderr.write(`sigma: ${signal} again: SIGKILL to every job\n`);
          daemon?.killAllJobs();
          return;
        }
        stopRequested = true;
        if (daemon) stop(daemon);
      };
      for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, onSignal);
      // A closed stdout (`sigma serve | head`) must not take the daemon, and its jobs, down.
      process.stdout.on('error', () => {});
      process.on('uncaughtException', (error) => {
        process.stderr.write(`sigma: unexpected failure, stopping: ${error.stack ?? String(error)}\n`);
        if (!daemon) process.exit(1);
        stopRequested = true;
        daemon.killAllJobs();
        daemon.stop().finally(() => process.exit(1));
      });
      try {
        // Loaded here, so that the client commands start without the server's modules.
        if (readOpenFilesLimit().soft < FEW_DESCRIPTORS) register(MODULE_SOURCES_HOOK_URL);
        const { runDaemon } = await import('../daemon/runDaemon.js');
        daemon = await runDaemon(config, (line) => process.stdout.write(`${line}\n`));
      } catch (error) {
        fail(`cannot start: ${error instanceof Error ? error.message : String(error)}`, 1);
      }
      if (stopRequested) stop(daemon);
      void daemon.ended.then(({ exitCode, message }) => {
        process.stderr.write(`sigma serve: ${message}\n`);
        process.exit(exitCode);
      });
    });
}

function fail(message: string, exitCode: number): never {
  process.stderr.write(`sigma serve: ${message}\n`);
  process.exit(exitCode);
}
