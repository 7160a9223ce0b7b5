// The chunks GET /processes is sent in: the same text as one serialized list, made only as the
// reader takes them, however long the list.
import { describe, expect, it } from 'vitest';
import { jsonListChunks, jsonListStream } from '../../src/api/jsonListStream.js';

const serialize = (item: unknown): string => JSON.stringify(item);

/** Counts how many items have been taken from it. */
function countedItems(count: number, text: string): { items: Iterable<{ id: number; text: string }>; taken: () => number } {
  let taken = 0;
  return {
    items: {
      *[Symbol.iterator]() {
        for (let id = 1; id <= count; id += 1) {
          taken += 1;
          yield { id, text };
        }
      },
    },
    taken: () => taken,
  };
}

describe('jsonListChunks', () => {
  it('gives the same text as one JSON.stringify of the list, and a newline, for no item, one and many', () => {
    for (const items of [[], [{ id: 1 }], Array.from({ length: 50 }, (_, i) => ({ id: i, env: { A: 'é'.repeat(i) } }))]) {
      expect([...jsonListChunks('processes', items, serialize, 64)].join('')).toBe(`${JSON.stringify({ processes: items })}\n`);
    }
  });

  it('cuts a list longer than the chunk size into chunks of about that size, making each only when the last was taken', () => {
    const chunkCharacters = 1000;
    const { items, taken } = countedItems(100, 'x'.repeat(90));
    const chunks = jsonListChunks('processes', items, serialize, chunkCharacters);
    const first = chunks.next();
    expect(first.done).toBe(false);
    // One chunk's worth of items has been read, not the list.
    expect(taken()).toBeLessThan(20);
    const rest = [...chunks];
    expect(taken()).toBe(100);
    const all = [first.value as string, ...rest];
    expect(all.length).toBeGreaterThan(5);
    const itemCharacters = serialize({ id: 100, text: 'x'.repeat(90) }).length + 1;
    for (const chunk of all.slice(0, -1)) {
      expect(chunk.length).toBeGreaterThanOrEqual(chunkCharacters);
      expect(chunk.length).toBeLessThan(chunkCharacters + itemCharacters);
    }
    expect(JSON.parse(all.join(''))).toEqual({ processes: Array.from({ length: 100 }, (_, i) => ({ id: i + 1, text: 'x'.repeat(90) })) });
  });

  it('as a stream, is read in bytes that parse as the list', async () => {
    const { items } = countedItems(300, 'ü'.repeat(100));
    const parts: Buffer[] = [];
    for await (const part of jsonListStream('processes', items, serialize, 4096)) parts.push(part as Buffer);
    expect(parts.length).toBeGreaterThan(1);
    expect(JSON.parse(Buffer.concat(parts).toString('utf8')).processes).toHaveLength(300);
  });
});
