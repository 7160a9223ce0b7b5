// What the command line prints of the daemon's data can hold any text (a command, a cwd, an env
// value, an error naming them, a token's label): every C0 and C1 control character and DEL in it
// is shown escaped (ESC as \x1b), so that no field can move the cursor, rewrite a line (CR), clear
// the screen or set the window title. The newlines and tabs, and the colours, are the printer's own.

/** C0 (U+0000-U+001F), DEL (U+007F) and C1 (U+0080-U+009F). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

const hex = (char: string): string => char.charCodeAt(0).toString(16).padStart(2, '0');

/** The text with each control character written as \xNN. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (char) => `\\x${hex(char)}`);
}

/** Whether the text has a control character (that escapeControls would write as \xNN). */
export function hasControls(text: string): boolean {
  return text.search(CONTROL) >= 0;
}

/**
 * A copy of an API value (object, array, string) with every string in it, keys included, passed
 * through escapeControls: what a printer formats for a person, never what it sends back.
 */
export function displayable<T>(value: T): T {
  if (typeof value === 'string') return escapeControls(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => displayable(item)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [escapeControls(key), displayable(item)])) as T;
  }
  return value;
}

/**
 * JSON for --json: JSON.stringify escapes C0 already; DEL and C1 are written \u007f..\u009f too,
 * which leaves the same value for a parser (they only occur inside strings).
 */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[\u007f-\u009f]/g, (char) => `\\u00${hex(char)}`);
}
