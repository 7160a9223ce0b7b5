// Shows an argv the way a POSIX shell would need it typed, for reading (never executed).
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(argv: readonly string[]): string {
  return argv.map((arg) => (SAFE.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}
