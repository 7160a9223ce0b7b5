// The routes about the daemon itself: health, and the OpenAPI document.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses } from './schemas/errorResponses.js';
import { HealthSchema } from './schemas/processSchemas.js';

export const systemRoutes: FastifyPluginAsyncTypebox<{ leftoverJobs: () => number }> = async (app, { leftoverJobs }) => {
  app.get(
    '/health',
    {
      schema: {
        tags: ['system'],
        summary: 'Health',
        description:
          'Answers 200 while the daemon serves, from its first moment (also while the jobs a killed daemon left are being ended: leftoverJobs). The only route without a token.',
        security: [],
        response: { 200: HealthSchema },
      },
    },
    async () => ({ status: 'ok' as const, leftoverJobs: leftoverJobs() }),
  );

  app.get(
    '/openapi.json',
    {
      schema: {
        tags: ['system'],
        summary: 'OpenAPI document',
        description: 'This API as an OpenAPI 3.1 document, generated from the schemas that validate the requests. A browsable page is at /docs.',
        response: {
          200: Type.Object({}, { additionalProperties: true, description: 'The OpenAPI 3.1 document.' }),
          ...errorResponses(401),
        },
      },
    },
    async () => app.swagger(),
  );
};
