// The one escaping of what the command line prints: every C0, DEL and C1 character shown as \xNN,
// JSON that parses back to the same values, and commands quoted so that a shell takes them back.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shellQuote } from '../../src/cli/shellQuote.js';
import { displayable, escapeControls, jsonText } from '../../src/cli/terminalText.js';

const CONTROLS = [...Array.from({ length: 0x20 }, (_, code) => code), 0x7f, ...Array.from({ length: 0x20 }, (_, code) => 0x80 + code)].map((code) => String.fromCharCode(code));
const RAW = /[\u0000-\u001f\u007f-\u009f]/;

describe('escapeControls', () => {
  it('writes every C0 and C1 character and DEL as \\xNN, and leaves everything else', () => {
    for (const char of CONTROLS) expect(escapeControls(`a${char}b`)).toBe(`a\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}b`);
    const printable = 'plain text: ~!@#$%^&*() \\ é ü \u00a0 \u2028 漢字 🙂';
    expect(escapeControls(printable)).toBe(printable);
  });

  it('reaches every string of an API value, keys included, and nothing else', () => {
    const value = { name: 'a\u001bb', count: 3, none: null, flag: true, list: ['\r', 1], nested: { 'k\u009b': 'v\u007f' } };
    expect(displayable(value)).toEqual({ name: 'a\\x1bb', count: 3, none: null, flag: true, list: ['\\x0d', 1], nested: { 'k\\x9b': 'v\\x7f' } });
    expect(value.name, 'the original is left as it was').toBe('a\u001bb');
  });
});

describe('jsonText', () => {
  it('parses back to the same value, with no control character written raw', () => {
    const value = { all: CONTROLS.join(''), list: [CONTROLS.join('|')] };
    for (const indent of [undefined, 2]) {
      const text = jsonText(value, indent);
      expect(RAW.test(text.replace(/\n/g, ''))).toBe(false);
      expect(JSON.parse(text)).toEqual(value);
    }
  });
});

describe('shellQuote', () => {
  const argv = ['/bin/echo', 'plain', 'with space', "it's", 'back\\slash', `a\u001b]0;t\u0007b`, 'c\rd', '\u009b2J', 'x\u007fy', "q'\\\u001b", '\\x1b', ''];

  it('writes an argument with controls as $\'...\', escaped, and the others as before', () => {
    const quoted = shellQuote(argv);
    expect(RAW.test(quoted)).toBe(false);
    expect(quoted).toBe(
      `/bin/echo plain 'with space' 'it'\\''s' 'back\\slash' $'a\\x1b]0;t\\x07b' $'c\\x0dd' $'\\u009b2J' $'x\\x7fy' $'q\\'\\\\\\x1b' '\\x1b' ''`,
    );
  });

  it.skipIf(!existsSync('/bin/bash'))('is taken back by bash as the same argv', () => {
    const script = `for arg in ${shellQuote(argv.slice(1))}; do printf '%s\\0' "$arg"; done`;
    const out = execFileSync('/bin/bash', ['-c', script], { encoding: 'utf8', env: { LC_ALL: 'C.UTF-8', PATH: process.env.PATH } });
    expect(out.split('\0').slice(0, -1)).toEqual(argv.slice(1));
  });
});
