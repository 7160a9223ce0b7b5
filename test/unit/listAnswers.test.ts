// The list answers kept as bytes: the same bytes and tag while the items are the same, new ones as
// soon as one item differs, none kept for a list too large to hold, and a bounded number kept.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KEPT_LIST_MAX_BYTES, ListAnswers } from '../../src/api/listAnswers.js';

const itemsOf = (...values: unknown[]): string[] => values.map((value) => JSON.stringify(value));
const sha1Tag = (bytes: Buffer): string => `"${createHash('sha1').update(bytes).digest('base64url')}"`;

describe('ListAnswers', () => {
  it('answers the list as one JSON text and a newline, in UTF-8, tagged by its bytes', () => {
    const values = [{ id: 1, env: { A: 'é"\\\n' } }, { id: 2 }];
    const answer = new ListAnswers('processes').answerFor('all', itemsOf(...values));
    expect(answer?.body.toString('utf8')).toBe(`${JSON.stringify({ processes: values })}\n`);
    expect(answer?.tag).toBe(sha1Tag(answer?.body as Buffer));
    expect(new ListAnswers('runs').answerFor('all', [])?.body.toString()).toBe('{"runs":[]}\n');
  });

  it('gives back the bytes it made while the items are the same, and makes new ones when one differs', () => {
    const answers = new ListAnswers('processes');
    const first = answers.answerFor('all', itemsOf({ id: 1, state: 'DORMANT' }, { id: 2 }));
    // Equal texts made anew (a process changed back and forth) are the same list.
    expect(answers.answerFor('all', itemsOf({ id: 1, state: 'DORMANT' }, { id: 2 }))).toBe(first);
    const changed = answers.answerFor('all', itemsOf({ id: 1, state: 'RUNNING' }, { id: 2 }));
    expect(changed).not.toBe(first);
    expect(changed?.body.toString()).toContain('RUNNING');
    expect(changed?.tag).not.toBe(first?.tag);
    // The key only spreads lists apart: another key asking the same items gets the same bytes.
    expect(answers.answerFor('other', itemsOf({ id: 1, state: 'RUNNING' }, { id: 2 }))?.body.equals(changed?.body as Buffer)).toBe(true);
    expect(answers.answerFor('all', itemsOf({ id: 1, state: 'RUNNING' }))?.body.toString()).toBe('{"processes":[{"id":1,"state":"RUNNING"}]}\n');
  });

  it('keeps none of a list larger than it holds, counted in UTF-8 bytes', () => {
    const answers = new ListAnswers('processes');
    // Half the limit in characters, but each of them 2 bytes: over it once encoded.
    const wide = [JSON.stringify('é'.repeat(KEPT_LIST_MAX_BYTES / 2 + 10))];
    expect(answers.answerFor('all', wide)).toBeNull();
    expect(answers.answerFor('all', [JSON.stringify('x'.repeat(KEPT_LIST_MAX_BYTES))])).toBeNull();
    expect(answers.answerFor('all', [JSON.stringify('x'.repeat(KEPT_LIST_MAX_BYTES / 2))])).not.toBeNull();
  });

  it('keeps at most 16 lists, the least recently read going first', () => {
    const answers = new ListAnswers('processes');
    const made = new Map<string, unknown>();
    for (let index = 0; index < 16; index += 1) made.set(`key-${index}`, answers.answerFor(`key-${index}`, itemsOf({ id: index })));
    // key-0 read again: the least recently read is now key-1.
    expect(answers.answerFor('key-0', itemsOf({ id: 0 }))).toBe(made.get('key-0'));
    answers.answerFor('key-16', itemsOf({ id: 16 }));
    expect(answers.answerFor('key-0', itemsOf({ id: 0 }))).toBe(made.get('key-0'));
    expect(answers.answerFor('key-2', itemsOf({ id: 2 }))).toBe(made.get('key-2'));
    expect(answers.answerFor('key-1', itemsOf({ id: 1 }))).not.toBe(made.get('key-1'));
  });
});
