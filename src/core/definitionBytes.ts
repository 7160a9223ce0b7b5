// The size of a definition as the node counts it against --max-definition-bytes and the
// partitions' definitionBytes quota: the bytes exec copies for the job.

/** Each argument and each NAME=value with its terminating NUL. */
export function definitionBytesOf(command: readonly string[] | null | undefined, env: Readonly<Record<string, string>> | null | undefined): number {
  let bytes = 0;
  for (const argument of command ?? []) bytes += Buffer.byteLength(argument) + 1;
  for (const [name, value] of Object.entries(env ?? {})) bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 2;
  return bytes;
}
