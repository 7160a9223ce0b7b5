// What a refusal repeats of the request: the value sent, quoted safely, and the argv a command
// sent as one string likely meant.
import { describe, expect, it } from 'vitest';
import { argvSuggestion } from '../../src/api/argvSuggestion.js';
import { quotedValue } from '../../src/api/quotedValue.js';

describe('quotedValue', () => {
  it('JSON-encodes the value', () => {
    expect(quotedValue('a/b')).toBe('"a/b"');
    expect(quotedValue('say "hi"\\')).toBe('"say \\"hi\\"\\\\"');
    expect(quotedValue(5)).toBe('5');
    expect(quotedValue(['sleep', '5'])).toBe('["sleep","5"]');
    expect(quotedValue(undefined)).toBe('undefined');
  });

  it('escapes every control and the characters that reorder or break a shown line', () => {
    const quoted = quotedValue('\u0000\u001b[2J\r\n\u007f\u0085\u200e\u202e\u2066\u2028\u2029');
    expect(quoted).toBe('"\\u0000\\u001b[2J\\r\\n\\u007f\\u0085\\u200e\\u202e\\u2066\\u2028\\u2029"');
    expect(quoted).toMatch(/^[\x20-\x7e]+$/);
  });

  it('cuts a long value short', () => {
    expect(quotedValue('x'.repeat(81))).toBe(`"${'x'.repeat(80)}..."`);
    expect(quotedValue('x'.repeat(80))).toBe(`"${'x'.repeat(80)}"`);
    // Escapes that lengthen a value past the limit cut it too.
    expect(quotedValue('\u0001'.repeat(80)).length).toBeLessThanOrEqual(83);
    expect(quotedValue(['a'.repeat(100)], 20)).toBe(`["${'a'.repeat(18)}...`);
  });
});

describe('argvSuggestion', () => {
  it('splits a plain line on white space', () => {
    expect(argvSuggestion('sleep 5')).toEqual(['sleep', '5']);
    expect(argvSuggestion('  python3 -m  http.server\t8000 ')).toEqual(['python3', '-m', 'http.server', '8000']);
    expect(argvSuggestion('date')).toEqual(['date']);
  });

  it('gives a line with shell syntax to sh -c, whole', () => {
    for (const line of ['ls | wc -l', 'echo "a b"', "echo 'x'", 'cd /srv && make', 'echo $HOME', 'ls *.log', 'A=1 env', 'cat < in > out']) {
      expect(argvSuggestion(line), line).toEqual(['sh', '-c', line]);
    }
  });

  it('has nothing to suggest for a blank line', () => {
    expect(argvSuggestion('')).toBeNull();
    expect(argvSuggestion(' \t ')).toBeNull();
  });
});
