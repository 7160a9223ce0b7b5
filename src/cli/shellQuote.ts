// Shows an argv the way a shell would need it typed, for reading (never executed). An argument
// with control characters is written $'...' (bash, zsh, ksh, POSIX.1-2024), every control as an
// escape: what is shown can be pasted back, and never acts on the terminal.
import { escapeControls, hasControls } from './terminalText.js';

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(argv: readonly string[]): string {
  return argv.map((arg) => (SAFE.test(arg) ? arg : hasControls(arg) ? dollarQuote(arg) : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** $'...': backslash and quote escaped, C0 and DEL as \xNN, C1 as \u00NN (the character, not its lone byte). */
function dollarQuote(arg: string): string {
  const body = [...arg]
    .map((char) => {
      if (char === '\\' || char === "'") return `\\${char}`;
      if (!hasControls(char)) return char;
      return char < '\u0080' ? escapeControls(char) : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
    })
    .join('');
  return `$'${body}'`;
}
