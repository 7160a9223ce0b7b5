// A value a client sent, quoted for a message that repeats it: JSON-encoded (quotes, backslashes and
// C0 controls escaped), with DEL, C1 controls and the characters that reorder or break a line when
// shown (bidi controls, U+2028/9) escaped too, and cut short so a message stays one readable line.

const HIDDEN = /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Past this many characters a quoted value is cut, with "..." in place of the rest. */
export const QUOTED_MAX_CHARS = 80;

export function quotedValue(value: unknown, maxChars = QUOTED_MAX_CHARS): string {
  const cut = typeof value === 'string' && value.length > maxChars ? `${value.slice(0, maxChars)}...` : value;
  const json = JSON.stringify(cut) ?? String(cut);
  const escaped = json.replace(HIDDEN, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > maxChars + 8 ? `${escaped.slice(0, maxChars)}...` : escaped;
}
