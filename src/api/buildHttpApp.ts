// Assembles the HTTP(S) server: validation, authentication, errors, OpenAPI, routes.
import type { IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { ERROR_CODES, ERROR_MEANINGS, HTTP_STATUS_OF } from '../errors/sigmaErrors.js';
import type { ProcessEvents } from '../supervisor/processEvents.js';
import type { NodeDirectory } from '../fleet/fleetMembership.js';
import type { JobTracking } from '../runtime/jobCgroups.js';
import type { LauncherStatus } from '../runtime/jobHost.js';
import type { LimitSupport } from '../runtime/partitionLimits.js';
import type { PartitionChanges } from '../supervisor/partitionChanges.js';
import type { PartitionTokens } from '../supervisor/partitionTokens.js';
import type { Partitions } from '../supervisor/partitions.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { auditRoutes, recordChanges, type AuditLog } from './auditTrail.js';
import { learnAllowedMethods } from './allowedMethods.js';
import { AuthThrottle } from './authThrottle.js';
import { bearerAuth } from './bearerAuth.js';
import { ConnectionGuard } from './connectionGuard.js';
import { dashboardPaths, registerDashboard } from './dashboardRoutes.js';
import { tagJsonAnswers } from './entityTags.js';
import { errorBody, installErrorReplies } from './errorReplies.js';
import { eventRoutes } from './eventRoutes.js';
import { fleetRoutes } from './fleetRoutes.js';
import type { FleetRouting } from './fleetRouting.js';
import { addFleetMetrics } from './fleetMetrics.js';
import { historyRoutes } from './historyRoutes.js';
import { LiveStreams } from './liveStreams.js';
import { metricsRoutes } from './metricsRoutes.js';
import { nodeMetrics } from './nodeMetrics.js';
import { nodeRoutes } from './nodeRoutes.js';
import { partitionRoutes } from './partitionRoutes.js';
import { plainDecimalIds } from './plainDecimalIds.js';
import { answerPlainHttp } from './plainHttpRefusal.js';
import { processRoutes } from './processRoutes.js';
import { serializerFactoryCompiledOnFirstUse, validatorCompiledOnFirstUse } from './schemaCompilers.js';
import { documentRoute } from './routeDocumentation.js';
import { withNamedComponents } from './openApiComponents.js';
import { scopeGuard } from './scopeGuard.js';
import { systemRoutes } from './systemRoutes.js';
import { TLS_POLICY } from './tlsPolicy.js';
import { validationMessage } from './validationMessage.js';

export interface HttpAppOptions {
  readonly tls: { readonly key: string; readonly cert: string } | null;
  readonly token: string;
  readonly supervisor: Supervisor;
  readonly partitions: Partitions;
  readonly partitionTokens: PartitionTokens;
  /** How partitions change: here, or here and in the fleet. */
  readonly partitionChanges: PartitionChanges;
  readonly events: ProcessEvents;
  readonly audit: AuditLog;
  readonly logPathOf: (processId: number, stream: 'stdout' | 'stderr') => string;
  readonly clock: () => number;
  readonly metricsPublic: boolean;
  /** Most event streams and followed logs open at once. */
  readonly maxStreams: number;
  readonly maxBodyBytes: number;
  /** How many client connections are held right now (asked at each new one). */
  readonly connectionsAdmitted: () => number;
  /** A connection that sends no complete request this long after it opened or after its last answer is closed. */
  readonly requestTimeoutMs: number;
  /** Refusals for a missing or wrong token allowed per address and minute before they are slowed down; 0: never. */
  readonly authFailuresPerMinute: number;
  /** Largest command plus environment of one definition. */
  readonly maxDefinitionBytes: number;
  /** The lowest nice value this node lets a job be given (see runtime/niceLimit.ts). */
  readonly lowestNice: number;
  readonly logger: FastifyBaseLogger;
  readonly version: string;
  /** How jobs are tracked on this node (GET /node). */
  readonly jobTracking: JobTracking;
  readonly launcher: LauncherStatus;
  /** Which partition limits this node can enforce (GET /node). */
  readonly limitSupport: LimitSupport;
  /** The fleet this node is in, or this node on its own (GET /nodes). */
  readonly directory: NodeDirectory;
  /** In a fleet: how requests about other nodes' processes are answered; null on its own. */
  readonly fleet: FleetRouting | null;
}

/** The routes of a process that its owner answers in a fleet, besides those of processRoutes. */
const OWNER_ROUTES = new Set(['/processes/:id/runs', '/processes/:id/logs']);

// `/processes/` is the list, as `/processes` is, not a process with an empty id.
const ROUTER_OPTIONS = { maxParamLength: 256, ignoreTrailingSlash: true } as const;

export async function buildHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  // No complete request within the timeout, whether the connection is new (TLS handshake and
  // headers included) or kept alive after an answer: closed. Node checks for late requests at
  // an interval, a fraction of the timeout, so the close comes soon after it.
  const serverTimeouts = {
    headersTimeout: options.requestTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.ceil(options.requestTimeoutMs / 4)),
  };
  const app = Fastify({
    requestTimeout: options.requestTimeoutMs,
    keepAliveTimeout: options.requestTimeoutMs,
    loggerInstance: options.logger,
    // Per-request lines would dominate the log and the cost of a read; state changes are logged instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.maxBodyBytes,
    // While closing, requests reach the routes, which refuse changes with sigma's own 503.
    return503OnClosing: false,
    // Errors Fastify meets before routing (a malformed URL, an overlong path parameter) get
    // sigma's shape too.
    routerOptions: ROUTER_OPTIONS,
    frameworkErrors: (error, _request, reply) => {
      const body = errorBody('SIGMA_ERR_REQUEST_INVALID', error.message);
      void (reply as FastifyReply).code(body.statusCode).type('application/json').send(`${JSON.stringify(body)}\n`);
    },
    // Requests Node's HTTP parser refuses (a malformed request line or header, an unknown method,
    // headers past 16 KiB) never reach a route: they are answered here in sigma's shape.
    clientErrorHandler: (error, socket) => {
      if ((error as NodeJS.ErrnoException).code === 'ECONNRESET' || socket.destroyed) return;
      const code = (error as NodeJS.ErrnoException).code;
      const body =
        code === 'HPE_HEADER_OVERFLOW'
          ? errorBody('SIGMA_ERR_REQUEST_HEADERS_TOO_LARGE', 'the request headers are larger than 16 KiB')
          : code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? errorBody('SIGMA_ERR_REQUEST_TIMEOUT', 'the request did not arrive whole in time')
            : errorBody('SIGMA_ERR_REQUEST_INVALID', `the request is not valid HTTP (${error.message})`);
      const text = `${JSON.stringify(body)}\n`;
      if (socket.writable) {
        socket.write(
          `HTTP/1.1 ${body.statusCode} ${body.error}\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${text}`,
        );
      }
      socket.destroy(error);
    },
    schemaErrorFormatter: (errors, dataVar) => new Error(validationMessage(errors, dataVar)),
    schemaController: { compilersFactory: { buildSerializer: serializerFactoryCompiledOnFirstUse() } },
    ...(options.tls
      ? {
          https: {
            key: options.tls.key,
            cert: options.tls.cert,
            ...TLS_POLICY,
            handshakeTimeout: options.requestTimeoutMs,
            ...serverTimeouts,
          },
        }
      : { http: serverTimeouts }),
  }).withTypeProvider<TypeBoxTypeProvider>();
  if (options.tls) answerPlainHttp(app.server as unknown as HttpsServer, options.requestTimeoutMs);
  const connections = new ConnectionGuard(app.server, options.connectionsAdmitted);
  const allowedOn = learnAllowedMethods(app as unknown as FastifyInstance, ROUTER_OPTIONS.ignoreTrailingSlash);

  app.setValidatorCompiler(validatorCompiledOnFirstUse());
  // Bodies are JSON only: without its text parser, Fastify refuses text/plain like any other type.
  app.removeContentTypeParser('text/plain');
  installErrorReplies(app, allowedOn);
  const publicPaths = new Set(['/health', ...dashboardPaths(), ...(options.metricsPublic ? ['/metrics'] : [])]);
  app.decorateRequest('scope', null);
  app.addHook(
    'onRequest',
    bearerAuth(options.token, options.partitionTokens, publicPaths, new AuthThrottle(options.authFailuresPerMinute, options.clock)),
  );
  app.addHook('preValidation', plainDecimalIds);
  const fleetRouting = options.fleet;
  app.addHook('preHandler', scopeGuard(options.supervisor, fleetRouting ? async (processId) => (await fleetRouting.processes.recordOf(processId))?.partition ?? null : null));
  const metrics = nodeMetrics(options.supervisor, options.events, () => connections.counts());
  if (options.fleet) addFleetMetrics(metrics.registry, options.fleet);
  // Hooks run on every request: synchronous callbacks, no promise each.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime);
    done();
  });
  // Open streams would hold the server's close until their clients leave.
  const streams = new LiveStreams(options.maxStreams);
  options.partitionTokens.onRevoked((tokenId) => streams.endOpenedWith(tokenId));
  app.addHook('preClose', async () => {
    streams.endAll();
    // A connection that never sent a request would hold the close until the request timeout.
    connections.closeIdle();
  });
  app.addHook('onRequest', (request, reply, done) => {
    // A browser sends its next request on a connection kept alive from before the close began:
    // answer it and end that connection, or the close waits for it.
    if (streams.isClosing) reply.header('Connection', 'close');
    // A client that sends `Content-Type: application/json` on every request, bodiless GET and
    // DELETE included, is not refused for an empty body.
    const bodiless = request.method === 'GET' || request.method === 'DELETE' || request.method === 'HEAD';
    if (bodiless && request.headers['content-type'] !== undefined) {
      const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
      if (!hasBody) delete request.headers['content-type'];
    }
    done();
  });
  // JSON answers end with a newline, so that one curl after another reads line by line.
  app.addHook('onSend', (request, reply, payload, done) => {
    // An answer sent before the body arrived (a 401, a 413): the connection closes once the answer
    // is out instead of reading the rest, however slowly it comes.
    if (bodyStillComing(request.raw)) reply.header('Connection', 'close');
    const json = String(reply.getHeader('content-type') ?? '').startsWith('application/json');
    // What the API answers is the node's state as of now, seen with a token: no cache keeps it.
    // A client that polls keeps the last answer itself and asks with If-None-Match.
    if (json || (reply.statusCode === 304 && !reply.hasHeader('cache-control'))) reply.header('Cache-Control', 'no-store');
    done(null, json && typeof payload === 'string' ? `${payload}\n` : payload);
  });
  // After the newline: the tag is of the bytes sent.
  app.addHook('onSend', tagJsonAnswers);

  app.addHook('onRoute', documentRoute);
  await app.register(swagger, {
    transformObject: (documents) => ('openapiObject' in documents ? withNamedComponents(documents.openapiObject) : documents.swaggerObject),
    openapi: {
      openapi: '3.1.0',
      // Relative: the daemon that serves the document, on whatever address it was reached.
      servers: [{ url: '/', description: 'The daemon serving this document.' }],
      info: {
        title: 'SIGMA Process Manager API',
        version: options.version,
        license: { name: 'MIT', identifier: 'MIT' },
        // The API is self-hosted: whoever runs this daemon answers for it.
        contact: { name: 'The operator of this node' },
        description: `Manage processes on the node. Every route needs a token (Authorization: Bearer <token>) but /health, the dashboard's files at / and, with --metrics-public, /metrics: the node token opens everything; a partition token (POST /partitions/{name}/tokens) sees and operates only its partition's processes (another partition's process is a 404 for it, node-wide routes a 403). A path asked with a method it is not served with answers 405 with an Allow header (with the token; without one, 401 as everywhere). A body must be sent as application/json (415 otherwise). A trailing slash is ignored (/processes/ is /processes). Every JSON answer carries Cache-Control: no-store; every JSON answer to a GET an ETag of its exact bytes: sent back in If-None-Match, it gets 304 without a body while the answer would be the same. Every error is {statusCode, code, error, message}; the codes:\n\n${ERROR_CODES.map((code) => `- \`${code}\` (${HTTP_STATUS_OF[code]}): ${ERROR_MEANINGS[code]}`).join('\n')}`,
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'The node token, or a partition token.' },
          basicAuth: { type: 'http', scheme: 'basic', description: 'Any user name, and the node token or a partition token as the password (as a browser asks for it).' },
        },
      },
      security: [{ bearerAuth: [] }, { basicAuth: [] }],
      tags: [
        { name: 'processes', description: 'Processes on the node and operations on them.' },
        { name: 'partitions', description: 'Fenced parts of the node: their slots, CPU, memory and task limits, and their tokens.' },
        { name: 'events', description: 'What happens on the node, live.' },
        { name: 'system', description: 'The daemon itself.' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  const leftoverJobs = (): number => options.supervisor.leftoverCount();
  await app.register(systemRoutes, { leftoverJobs });
  await app.register(nodeRoutes, {
    jobTracking: options.jobTracking,
    limitSupport: options.limitSupport,
    launcher: options.launcher,
    leftoverJobs,
    directory: options.directory,
  });
  await app.register(fleetRoutes, { directory: options.directory });
  const fleet = options.fleet;
  if (fleet) {
    // A partition changes only while etcd answers, as a process does (processRoutes).
    app.addHook('preHandler', async (request) => {
      if (request.method !== 'GET' && request.method !== 'HEAD' && request.routeOptions.url?.startsWith('/partitions')) fleet.requireReachable();
    });
    // A process's runs and log are its owner's: asked of another node, they come from the owner.
    app.addHook('preHandler', async (request, reply) => {
      if (request.method !== 'GET' || !OWNER_ROUTES.has(request.routeOptions.url ?? '') || fleet.forwarded(request)) return;
      const processId = (request.params as { id: number }).id;
      if (options.supervisor.find(processId) === null && (await fleet.streamFromOwner(request, reply, processId))) return reply;
    });
  }
  recordChanges(app as unknown as FastifyInstance, { audit: options.audit, clock: options.clock, logger: options.logger });
  await app.register(auditRoutes, { audit: options.audit });
  await app.register(processRoutes, {
    supervisor: options.supervisor,
    partitionExists: (name) => options.partitions.has(name),
    clock: options.clock,
    maxDefinitionBytes: options.maxDefinitionBytes,
    fleet: options.fleet,
    lowestNice: options.lowestNice,
  });
  await app.register(partitionRoutes, {
    supervisor: options.supervisor,
    partitions: options.partitions,
    tokens: options.partitionTokens,
    changes: options.partitionChanges,
    fleet: options.fleet,
    clock: options.clock,
  });
  await app.register(historyRoutes, { supervisor: options.supervisor, events: options.events, streams, logPathOf: options.logPathOf });
  await app.register(eventRoutes, { events: options.events, streams, clock: options.clock });
  await app.register(metricsRoutes, { metrics, isPublic: options.metricsPublic });
  await registerDashboard(app as unknown as FastifyInstance);
  return app as unknown as FastifyInstance;
}

function bodyStillComing(request: IncomingMessage): boolean {
  if (request.complete) return false;
  return Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
}
