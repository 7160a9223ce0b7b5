// What a process has done: its run history and its output.
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { readLog } from '../runtime/logReader.js';
import type { ProcessEvents } from '../supervisor/processEvents.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { LiveStreams } from './liveStreams.js';
import { runView } from './runView.js';
import { LINK_HEADER, pageOf } from './pageLinks.js';
import { errorResponses } from './schemas/errorResponses.js';
import { LogsQuery, RUNS_LIMIT, RunList, RunsQuery } from './schemas/historySchemas.js';
import { ProcessIdParams } from './schemas/processSchemas.js';

export interface HistoryRoutesOptions {
  readonly supervisor: Supervisor;
  readonly events: ProcessEvents;
  readonly streams: LiveStreams;
  readonly logPathOf: (processId: number, stream: 'stdout' | 'stderr') => string;
}

const TAGS = ['processes'];

export const historyRoutes: FastifyPluginAsyncTypebox<HistoryRoutesOptions> = async (app, { supervisor, events, streams, logPathOf }) => {
  app.get(
    '/processes/:id/runs',
    {
      schema: {
        tags: TAGS,
        summary: 'Run history of a process',
        description: `Its last runs, newest first: start, end, exit code or signal, duration and, for PERIODIC, the release point and how late the job started. The node keeps the last ${RUNS_LIMIT.max} of each process.`,
        params: ProcessIdParams,
        querystring: RunsQuery,
        response: { 200: { ...RunList, description: 'The runs.', headers: LINK_HEADER }, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request, reply) => {
      const limit = request.query.limit ?? RUNS_LIMIT.default;
      const runs = pageOf(request, reply, supervisor.runs(request.params.id, limit + 1, request.query.after ?? null), limit, (run) => run.id);
      return { runs: runs.map((run) => ({ id: run.id, ...runView(run) })) };
    },
  );

  app.get(
    '/processes/:id/logs',
    {
      schema: {
        tags: TAGS,
        summary: 'Output of a process',
        description:
          'What its jobs wrote to stdout (or stderr), as text: everything kept (the rotated file first) or the last `tail` lines. With `follow=true` the answer stays open and sends new output as it is written, across rotations, until the client goes away or the process is deleted.',
        params: ProcessIdParams,
        querystring: LogsQuery,
        response: {
          200: { description: 'The output, as the jobs wrote it.', content: { 'text/plain': { schema: Type.String() } } },
          ...errorResponses(400, 401, 404, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const processId = request.params.id;
      supervisor.get(processId);
      const { stream = 'stdout', tail, follow = false } = request.query;
      const live = follow ? streams.begin(request, reply) : new AbortController();
      const { signal } = live;
      if (follow) {
        const unsubscribe = events.subscribe((event) => {
          if (event.type === 'deleted' && event.processId === processId) live.abort();
        });
        signal.addEventListener('abort', unsubscribe, { once: true });
      }
      const log = readLog({ path: logPathOf(processId, stream), tailLines: tail ?? null, follow, signal });
      // Fastify sends the headers with the first bytes; a follower of a quiet log gets them at once.
      const output = Readable.from(
        (async function* () {
          if (follow) reply.raw.flushHeaders();
          yield* log;
        })(),
        { objectMode: false },
      );
      return reply.type('text/plain; charset=utf-8').send(output as unknown as string); // a stream; the schema's string only documents the body
    },
  );
};
