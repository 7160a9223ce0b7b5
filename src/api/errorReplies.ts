// Every error leaves as {statusCode, code, error, message}, whatever raised it.
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance } from 'fastify';
import { HTTP_STATUS_OF, SigmaError, type ErrorCode } from '../errors/sigmaErrors.js';
import type { AllowedMethods } from './allowedMethods.js';

export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  error: string;
  message: string;
}

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  const statusCode = HTTP_STATUS_OF[code];
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

/** Fastify's own errors, by their code, as sigma's. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'SIGMA_ERR_REQUEST_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'SIGMA_ERR_REQUEST_CONTENT_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'SIGMA_ERR_REQUEST_INVALID',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'SIGMA_ERR_REQUEST_INVALID',
  FST_ERR_CTP_INVALID_JSON_BODY: 'SIGMA_ERR_REQUEST_INVALID',
};

/** `sentType`: the request's Content-Type, named in a refusal of it. */
export function toErrorBody(error: FastifyError | SigmaError | Error, sentType?: string): ErrorBody {
  if (error instanceof SigmaError) return errorBody(error.code, error.message);
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) return errorBody('SIGMA_ERR_REQUEST_INVALID', fastifyError.message);
  const mapped = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (mapped === 'SIGMA_ERR_REQUEST_CONTENT_TYPE') {
    const sent = sentType ? `a body of type ${JSON.stringify(sentType.slice(0, 100))}` : 'a body without a Content-Type';
    return errorBody(mapped, `${sent} is not taken: send it as JSON with the header Content-Type: application/json`);
  }
  if (mapped) return errorBody(mapped, fastifyError.message);
  if (error instanceof SyntaxError) return errorBody('SIGMA_ERR_REQUEST_INVALID', `the body is not valid JSON: ${error.message}`);
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return errorBody('SIGMA_ERR_REQUEST_INVALID', fastifyError.message);
  }
  return errorBody('SIGMA_ERR_INTERNAL', 'internal error; the daemon log has the details');
}

export function installErrorReplies(app: FastifyInstance, allowedOn: AllowedMethods): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const body = toErrorBody(error, request.headers['content-type']);
    if (body.code === 'SIGMA_ERR_INTERNAL') request.log.error({ err: error }, 'request failed');
    return reply.code(body.statusCode).type('application/json').send(body);
  });
  // Reached only past authentication: a request without a token learns nothing of the routes.
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0] ?? '';
    const allowed = allowedOn(path);
    if (allowed.length > 0) {
      const body = errorBody('SIGMA_ERR_METHOD_NOT_ALLOWED', `${path} is served with ${allowed.join(', ')}, not ${request.method}`);
      return reply.code(body.statusCode).header('Allow', allowed.join(', ')).send(body);
    }
    const body = errorBody('SIGMA_ERR_ROUTE_NOT_FOUND', `no route ${request.method} ${path}`);
    return reply.code(body.statusCode).send(body);
  });
}
