// A JSON list answer as a stream: the envelope, then each item serialized on its own, a chunk
// at a time as the socket takes them. No list is ever one string, so none is too large to send,
// and the daemon holds at most a chunk of it beyond the items themselves.
import { Readable } from 'node:stream';

/** A chunk is handed to the socket once it holds this many characters. */
export const LIST_CHUNK_CHARACTERS = 64 * 1024;

/**
 * `{"<key>":[item,item]}` and a newline, as the daemon's other JSON answers end, in chunks of
 * about `chunkCharacters` (one item may make a chunk longer).
 */
export function* jsonListChunks<T>(key: string, items: Iterable<T>, serialize: (item: T) => string, chunkCharacters = LIST_CHUNK_CHARACTERS): Generator<string> {
  let chunk = `{${JSON.stringify(key)}:[`;
  let first = true;
  for (const item of items) {
    chunk += first ? serialize(item) : `,${serialize(item)}`;
    first = false;
    if (chunk.length >= chunkCharacters) {
      yield chunk;
      chunk = '';
    }
  }
  yield `${chunk}]}\n`;
}

/** Read only as fast as the client takes it: the next chunk is made when the last has gone. */
export function jsonListStream<T>(key: string, items: Iterable<T>, serialize: (item: T) => string, chunkCharacters = LIST_CHUNK_CHARACTERS): Readable {
  return Readable.from(jsonListChunks(key, items, serialize, chunkCharacters), { objectMode: false });
}
