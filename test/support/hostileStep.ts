// The vocabulary of a hostile session: its steps, how a step names a process, and the values of
// a definition that are safe to run. Every command a generated request can carry is harmless:
// `sleep 30`, `true`, `false` or a path that does not exist.
import fc from 'fast-check';
import type { Overrides } from './openApiArbitraries.js';

/** A process to aim at: one the session created (by index, modulo how many exist), or a literal id. */
export type IdChoice = { known: number } | { literal: number };

export type ProcessOperation = 'START' | 'SUSPEND' | 'RESUME' | 'STOP' | 'DELETE';
export type RealOperation = 'create-sleep' | 'create-true' | 'create-periodic' | ProcessOperation;

export type Step =
  | { kind: 'valid'; method: string; template: string; id: IdChoice; query: Record<string, unknown>; body?: unknown }
  | {
      kind: 'mutated';
      mutation: string;
      method: string;
      /** May hold `{id}`, replaced by the chosen id. */
      path: string;
      id: IdChoice;
      headers: Record<string, string>;
      body?: string | Buffer;
      /** Invalid whatever the session did before: it must be refused (4xx) and change nothing. */
      invalid?: true;
    }
  | { kind: 'operation'; operation: RealOperation; target: number; periodMs: number; startNow: boolean }
  /** Operations on one process sent at once, without waiting for each other's answers. */
  | { kind: 'burst'; operations: ProcessOperation[]; target: number };

export const HARMLESS_COMMANDS: ReadonlyArray<readonly string[]> = [['sleep', '30'], ['true'], ['false'], ['/nonexistent/sigma-no-such-program']];

export const idChoice: fc.Arbitrary<IdChoice> = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: 64 }).map((known) => ({ known })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }).map((literal) => ({ literal })) },
);

/** Values of the definition that are safe to run and keep the machine quiet (periods of 50-200 ms or very long). */
export function safeOverrides(): Overrides {
  return {
    command: fc.constantFrom(...HARMLESS_COMMANDS).map((command) => [...command]),
    period: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 50, max: 200 }) }, { weight: 1, arbitrary: fc.integer({ min: 1_000_000, max: 2147483647 }) }),
    cwd: fc.oneof(fc.constantFrom('/', '/tmp', '/nonexistent-sigma-dir'), fc.stringMatching(/^\/[a-z]{1,12}$/)),
    stopTimeoutMs: fc.integer({ min: 0, max: 3_600_000 }),
  };
}

export const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' };
