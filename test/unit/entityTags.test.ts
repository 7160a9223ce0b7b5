// If-None-Match as RFC 9110 compares it (weakly), and tags that follow the bytes.
import { describe, expect, it } from 'vitest';
import { entityTagOf, entityTagOfChunks, noneMatchHolds } from '../../src/api/entityTags.js';

describe('noneMatchHolds', () => {
  const tag = '"abc"';
  it.each([
    ['the tag itself', '"abc"', true],
    ['its weak form', 'W/"abc"', true],
    ['in a list', '"x", W/"abc" ,"y"', true],
    ['any tag', '*', true],
    ['another tag', '"abd"', false],
    ['the tag without quotes', 'abc', false],
    ['a list without it', '"x", "y"', false],
    ['an empty header', '', false],
    ['no header', undefined, false],
  ])('%s: %s', (_label, header, holds) => {
    expect(noneMatchHolds(header, tag)).toBe(holds);
  });
});

describe('entity tags', () => {
  it('are the same for the same text, however it is cut into chunks, and differ for another', () => {
    const text = '{"processes":[{"id":1,"state":"RUNNING"}]}\n';
    expect(entityTagOfChunks([text.slice(0, 7), text.slice(7, 20), text.slice(20)])).toBe(entityTagOf(text));
    expect(entityTagOf(text.replace('RUNNING', 'WAITING'))).not.toBe(entityTagOf(text));
    expect(entityTagOf(text)).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
  });
});
