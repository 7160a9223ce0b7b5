// Assembles the HTTP(S) server: validation, authentication, errors, OpenAPI, routes.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { ERROR_CODES, ERROR_MEANINGS, HTTP_STATUS_OF } from '../errors/sigmaErrors.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { bearerAuth } from './bearerAuth.js';
import { errorBody, installErrorReplies } from './errorReplies.js';
import { processRoutes } from './processRoutes.js';
import { requestValidatorCompiler } from './requestValidators.js';
import { systemRoutes } from './systemRoutes.js';
import { validationMessage } from './validationMessage.js';

export const BODY_LIMIT_BYTES = 64 * 1024;

export interface HttpAppOptions {
  readonly tls: { readonly key: string; readonly cert: string } | null;
  readonly token: string;
  readonly supervisor: Supervisor;
  readonly clock: () => number;
  readonly logger: FastifyBaseLogger;
  readonly version: string;
}

export async function buildHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    // Per-request lines would dominate the log and the cost of a read; state changes are logged instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // While closing, requests reach the routes, which refuse changes with sigma's own 503.
    return503OnClosing: false,
    // Errors Fastify meets before routing (a malformed URL, an overlong path parameter) get
    // sigma's shape too.
    routerOptions: { maxParamLength: 256 },
    frameworkErrors: (error, _request, reply) => {
      const body = errorBody('SIGMA_ERR_REQUEST_INVALID', error.message);
      void (reply as FastifyReply).code(body.statusCode).type('application/json').send(`${JSON.stringify(body)}\n`);
    },
    schemaErrorFormatter: (errors, dataVar) => new Error(validationMessage(errors, dataVar)),
    ...(options.tls ? { https: { key: options.tls.key, cert: options.tls.cert, minVersion: 'TLSv1.2' as const } } : {}),
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(requestValidatorCompiler());
  // Bodies are JSON only: without its text parser, Fastify refuses text/plain like any other type.
  app.removeContentTypeParser('text/plain');
  installErrorReplies(app);
  app.addHook('onRequest', bearerAuth(options.token));
  // A client that sends `Content-Type: application/json` on every request, bodiless GET and
  // DELETE included, is not refused for an empty body.
  app.addHook('onRequest', async (request) => {
    const bodiless = request.method === 'GET' || request.method === 'DELETE' || request.method === 'HEAD';
    const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
    if (bodiless && !hasBody) delete request.headers['content-type'];
  });
  // JSON answers end with a newline, so that one curl after another reads line by line.
  app.addHook('onSend', async (_request, reply, payload) =>
    typeof payload === 'string' && String(reply.getHeader('content-type') ?? '').startsWith('application/json') ? `${payload}\n` : payload,
  );

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'SIGMA Process Manager API',
        version: options.version,
        description: `Manage processes on the node. Every route but /health needs the node token (Authorization: Bearer <token>). Every error is {statusCode, code, error, message}; the codes:\n\n${ERROR_CODES.map((code) => `- \`${code}\` (${HTTP_STATUS_OF[code]}): ${ERROR_MEANINGS[code]}`).join('\n')}`,
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'The node token.' } } },
      security: [{ bearerAuth: [] }],
      tags: [
        { name: 'processes', description: 'Processes on the node and operations on them.' },
        { name: 'system', description: 'The daemon itself.' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  await app.register(systemRoutes);
  await app.register(processRoutes, {
    supervisor: options.supervisor,
    clock: options.clock,
  });
  return app as unknown as FastifyInstance;
}
