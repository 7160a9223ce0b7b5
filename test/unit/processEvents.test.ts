// The event buffer: a ring of the latest events, and what a client that reconnects is given.
import { describe, expect, it } from 'vitest';
import { EVENT_IDS_RESERVED, firstEventId, ProcessEvents } from '../../src/supervisor/processEvents.js';

const SUBJECT = { id: 1, name: 'p', partition: 'default' };

function bufferOf(capacity: number, emitted: number): ProcessEvents {
  const events = new ProcessEvents(1000, (error) => {
    throw error;
  }, capacity);
  for (let n = 0; n < emitted; n += 1) events.emit(SUBJECT, n, { type: 'deleted' });
  return events;
}

const idsOf = (events: ProcessEvents, lastSeenId: number) => {
  const since = events.since(lastSeenId);
  return { ids: since.events.map((event) => event.id), gap: since.gap };
};

describe('ProcessEvents', () => {
  it('gives the events after the last one seen, and a gap when some of them were pushed out of the ring', () => {
    const events = bufferOf(3, 5); // ids 1000..1004; 1002..1004 kept
    expect(events.latestId).toBe(1004);
    expect(idsOf(events, 1000)).toEqual({ ids: [1002, 1003, 1004], gap: true });
    expect(idsOf(events, 1001)).toEqual({ ids: [1002, 1003, 1004], gap: false });
    expect(idsOf(events, 1003)).toEqual({ ids: [1004], gap: false });
    expect(idsOf(events, 1004)).toEqual({ ids: [], gap: false });
  });

  it('says gap for an id of an earlier boot or one this daemon never gave', () => {
    const events = bufferOf(3, 2); // ids 1000, 1001
    expect(idsOf(events, 10)).toEqual({ ids: [1000, 1001], gap: true });
    expect(idsOf(events, 999)).toEqual({ ids: [1000, 1001], gap: false });
    expect(idsOf(events, 9999)).toEqual({ ids: [], gap: true });
  });

  it('starts above every id an earlier boot gave, also when the wall clock was set back before the boot', () => {
    const rethrow = (error: unknown): never => {
      throw error;
    };
    const reserved: number[] = [];
    const earlier = new ProcessEvents(firstEventId(2_000), rethrow, 16, (belowId) => reserved.push(belowId));
    for (let n = 0; n < 3; n += 1) earlier.emit(SUBJECT, n, { type: 'deleted' });
    expect(reserved, 'one reservation before the first id').toEqual([2_000_000 + EVENT_IDS_RESERVED]);
    // The next boot's wall clock is a second behind the earlier boot's.
    const later = new ProcessEvents(firstEventId(1_000, reserved.at(-1)), rethrow, 16);
    later.emit(SUBJECT, 0, { type: 'deleted' });
    expect(later.latestId).toBeGreaterThan(earlier.latestId);
  });
});
