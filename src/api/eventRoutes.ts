// GET /events: every state change, run, creation, update and deletion as Server-Sent Events.
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { RequestInvalidError } from '../errors/sigmaErrors.js';
import { isoOf } from '../runtime/clock.js';
import { EVENTS_KEPT, type ProcessEvents } from '../supervisor/processEvents.js';
import { eventFrame, sseFrame } from './eventView.js';
import { canSee } from './requestScope.js';
import type { LiveStreams } from './liveStreams.js';
import { errorResponses } from './schemas/errorResponses.js';

export interface EventRoutesOptions {
  readonly events: ProcessEvents;
  readonly streams: LiveStreams;
  readonly clock: () => number;
}

const HEARTBEAT_MS = 15_000;
/** A client that lets this much pile up unread is dropped; it reconnects with Last-Event-ID. */
const MAX_UNREAD_BYTES = 4 * 1024 * 1024;

const EventsQuery = Type.Object(
  {
    lastEventId: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Resume after this event id (as the Last-Event-ID header does; the header wins).' }),
    ),
  },
  { additionalProperties: false },
);

export const eventRoutes: FastifyPluginAsyncTypebox<EventRoutesOptions> = async (app, { events, streams, clock }) => {
  app.get(
    '/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Live events',
        description: `Server-Sent Events (for a partition token: its partition's only), one per state change (\`state\`: from, to, reason), finished run (\`run\`), creation (\`created\`), definition update (\`updated\`) and deletion (\`deleted\`) of a process, and each deadline missed (\`deadlineMissed\`). Each has an \`id\`; a client that reconnects with \`Last-Event-ID\` gets every later event still kept (the last ${EVENTS_KEPT}), or first a \`gap\` event when some are gone (then read GET /processes again). A comment line is sent every ${HEARTBEAT_MS / 1000} s.`,
        querystring: EventsQuery,
        response: {
          200: { description: 'The event stream.', content: { 'text/event-stream': { schema: Type.String() } } },
          ...errorResponses(400, 401, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const lastEventId = resumePoint(request.headers['last-event-id'], request.query.lastEventId);
      const live = streams.begin(request, reply);
      const out = new PassThrough();
      const send = (frame: string): void => {
        if (out.writableLength <= MAX_UNREAD_BYTES) {
          out.write(frame);
          return;
        }
        // Its connection goes too: ending the stream would wait for it to read what is queued.
        live.abort();
        reply.raw.destroy();
      };
      out.write('retry: 2000\n\n');
      if (lastEventId !== null) {
        const missed = events.since(lastEventId);
        if (missed.gap) {
          send(sseFrame(null, 'gap', { type: 'gap', at: isoOf(clock()), message: 'some events after Last-Event-ID are no longer kept: read GET /processes again' }));
        }
        for (const event of missed.events) if (canSee(request, event.partition)) send(eventFrame(event));
      }
      const unsubscribe = events.subscribe((event) => {
        if (canSee(request, event.partition)) send(eventFrame(event));
      });
      const heartbeat = setInterval(() => send(': ping\n\n'), HEARTBEAT_MS);
      live.signal.addEventListener(
        'abort',
        () => {
          unsubscribe();
          clearInterval(heartbeat);
          out.end();
        },
        { once: true },
      );
      return reply.type('text/event-stream; charset=utf-8').send(out as unknown as string); // a stream; the schema's string only documents the body
    },
  );
};

function resumePoint(header: string | string[] | undefined, query: number | undefined): number | null {
  if (header === undefined) return query ?? null;
  const value = Array.isArray(header) ? header[header.length - 1] : header;
  if (value === undefined || !/^\d{1,16}$/.test(value.trim())) throw new RequestInvalidError('Last-Event-ID must be an event id (an integer)');
  return Number(value);
}
