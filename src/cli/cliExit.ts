// The exit statuses of the `sigma` client commands, and the error that carries one to main.
import { escapeControls } from './terminalText.js';

export const EXIT = {
  ok: 0,
  /** An operation's result was FAILED (the reason is on stderr). */
  failed: 1,
  /** A usage error: an unknown flag, a bad value, an invalid apply file. */
  usage: 2,
  /** No process has the id or name given, or no partition the name. */
  notFound: 3,
  /** The daemon refused the token, or there is no token to send, or the token may not do this (out of its partition). */
  unauthorized: 4,
  /** The daemon cannot be reached: not running, wrong URL, or its certificate is not trusted. */
  unreachable: 5,
  /** Any other error answered by the API (a name taken, an invalid definition, a daemon shutting down). */
  apiError: 6,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * A failure that ends the command: `message` is printed on stderr as one line after "sigma: ". It
 * may quote the daemon (an error's message, a spawn error naming a cwd): its controls are escaped.
 */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(escapeControls(message));
    this.name = 'CliError';
  }
}
