// GET /metrics in the Prometheus text format, and the timing of every API request for it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { NodeMetrics } from './nodeMetrics.js';
import { errorResponses } from './schemas/errorResponses.js';

export interface MetricsRoutesOptions {
  readonly metrics: NodeMetrics;
  readonly isPublic: boolean;
}

export const metricsRoutes: FastifyPluginAsyncTypebox<MetricsRoutesOptions> = async (app, { metrics, isPublic }) => {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['system'],
        summary: 'Metrics',
        description: `The node in the Prometheus text format: processes by state and type, runs, overruns, skipped releases and failures per process, release lateness and job duration histograms, API request durations by route and status, and the daemon's own CPU and memory. ${isPublic ? 'Served without a token (--metrics-public).' : 'Needs the node token unless the daemon runs with --metrics-public.'}`,
        ...(isPublic ? { security: [] } : {}),
        response: {
          200: { description: 'The metrics.', content: { 'text/plain': { schema: Type.String() } } },
          ...errorResponses(401),
        },
      },
    },
    async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
};
