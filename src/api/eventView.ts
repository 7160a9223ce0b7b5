// Shapes a process event into the JSON of one Server-Sent Event.
import { isoOf } from '../runtime/clock.js';
import type { ProcessEvent } from '../supervisor/processEvents.js';
import { processView } from './processView.js';
import { runView } from './runView.js';

function eventView(event: ProcessEvent): Record<string, unknown> {
  const head = { id: event.id, type: event.type, processId: event.processId, name: event.name, partition: event.partition, at: isoOf(event.atMs) };
  switch (event.type) {
    case 'state':
      return { ...head, from: event.from, to: event.to, reason: event.reason };
    case 'run':
      return { ...head, run: runView(event.run) };
    case 'deadlineMissed': {
      const { pid, deadlineAtMs, timeCapacityMs, action } = event.miss;
      return { ...head, pid, deadline: isoOf(deadlineAtMs), timeCapacityMs, action };
    }
    case 'created':
    case 'updated':
      return { ...head, process: processView(event.reading) };
    case 'deleted':
      return head;
  }
}

/** One event in the text/event-stream format. */
export function sseFrame(id: number | null, type: string, data: unknown): string {
  return `${id === null ? '' : `id: ${id}\n`}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Frames made once per event, whatever the number of clients streaming it. */
const frames = new WeakMap<ProcessEvent, string>();

/** The event as its text/event-stream frame. */
export function eventFrame(event: ProcessEvent): string {
  let frame = frames.get(event);
  if (frame === undefined) {
    frame = sseFrame(event.id, event.type, eventView(event));
    frames.set(event, frame);
  }
  return frame;
}
