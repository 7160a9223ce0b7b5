// The answers to list reads, kept as bytes while the items they list stay the same: a dashboard or
// a script polling an unchanged list is answered from the bytes (and tag) made the first time,
// not by joining and hashing every item again. An answer is reused only when it was made of
// exactly the same item texts in the same order, so it is never stale, whatever its key.
import { entityTagOf } from './entityTags.js';

/** Lists larger than this are not kept (nor made as one buffer): they are streamed a chunk at a time. */
export const KEPT_LIST_MAX_BYTES = 8 * 1024 * 1024;
/** At most this many bytes of answers are kept together; the least recently read go first. */
const KEPT_TOTAL_MAX_BYTES = 2 * KEPT_LIST_MAX_BYTES;
const KEPT_ANSWERS_MAX = 16;

export interface ListAnswer {
  /** `{"<key>":[item,item]}` and a newline, as UTF-8: the same bytes the streamed list sends. */
  readonly body: Buffer;
  /** The strong ETag of `body`. */
  readonly tag: string;
}

interface Kept extends ListAnswer {
  readonly items: readonly string[];
}

export class ListAnswers {
  /** In the order last read: a Map iterates in insertion order, and a read moves its entry last. */
  private readonly kept = new Map<string, Kept>();
  private keptBytes = 0;

  constructor(private readonly envelopeKey: string) {}

  /**
   * The answer listing `items` (each an item's JSON text), kept under `key` (what was asked: the
   * query and who asked, so that different lists do not push each other out). Null when the list
   * is larger than KEPT_LIST_MAX_BYTES: the caller streams it.
   */
  answerFor(key: string, items: readonly string[]): ListAnswer | null {
    const kept = this.kept.get(key);
    if (kept && sameItems(kept.items, items)) {
      this.kept.delete(key);
      this.kept.set(key, kept);
      return kept;
    }
    if (kept) this.drop(key, kept);
    let characters = 0;
    for (const item of items) characters += item.length + 1;
    // Each UTF-16 unit takes 1 to 3 bytes of UTF-8: a list over the limit in units is over it in
    // bytes, found without encoding it; one under it may still be over it once encoded.
    if (characters > KEPT_LIST_MAX_BYTES) return null;
    const body = Buffer.from(`{${JSON.stringify(this.envelopeKey)}:[${items.join(',')}]}\n`, 'utf8');
    if (body.length > KEPT_LIST_MAX_BYTES) return null;
    const made: Kept = { items, body, tag: entityTagOf(body) };
    this.kept.set(key, made);
    this.keptBytes += body.length;
    for (const [oldestKey, oldest] of this.kept) {
      if (this.keptBytes <= KEPT_TOTAL_MAX_BYTES && this.kept.size <= KEPT_ANSWERS_MAX) break;
      if (oldestKey !== key) this.drop(oldestKey, oldest);
    }
    return made;
  }

  private drop(key: string, kept: Kept): void {
    this.kept.delete(key);
    this.keptBytes -= kept.body.length;
  }
}

function sameItems(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index += 1) if (a[index] !== b[index]) return false;
  return true;
}
