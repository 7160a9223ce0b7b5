// A command sent as one string ("sleep 5") where the API takes an argv: the argv it most likely
// meant, to show in the refusal. Never executed: the API runs no shell of its own.

/** Quoting, pipes, redirections, globs, variables: a line only a shell reads as meant. */
const SHELL_SYNTAX = /[|&;<>()$`\\"'*?~#{}[\]]|^\s*[A-Za-z_][A-Za-z0-9_]*=/;

/** The words of `line` split on white space, or `["sh", "-c", line]` for a shell line; null for a blank one. */
export function argvSuggestion(line: string): string[] | null {
  if (line.trim() === '') return null;
  if (SHELL_SYNTAX.test(line)) return ['sh', '-c', line];
  return line.trim().split(/\s+/);
}
