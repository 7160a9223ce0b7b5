// Starts the bench's own helper programs (children/*.mjs, native/*) as tracked children and reads
// their first line.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { end, refuseWhenStopping, track } from './cleanup.js';

export function childScript(name: string): string {
  return fileURLToPath(new URL(`../children/${name}`, import.meta.url));
}

export interface StartedChild {
  readonly child: ChildProcess;
  readonly firstLine: string;
  stop(): Promise<void>;
}

/** Spawns file with args and waits for its first stdout line (its "ready" line). */
export async function startChild(file: string, args: readonly string[], label: string, env: NodeJS.ProcessEnv = process.env): Promise<StartedChild> {
  refuseWhenStopping(label);
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'], env, detached: true });
  track(child, label, 3000);
  const firstLine = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${label} printed no line within 20 s`)), 20_000);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      seen += chunk;
      const newline = seen.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(seen.slice(0, newline));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code} before it was ready`));
    });
  });
  return { child, firstLine, stop: () => end(child.pid as number) };
}

/** Runs file with args to its end and returns its whole stdout. */
export async function runChild(file: string, args: readonly string[], label: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  refuseWhenStopping(label);
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'], env, detached: true });
  track(child, label, 3000);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode)));
  if (code !== 0) throw new Error(`${label} exited with ${code}`);
  return output;
}
