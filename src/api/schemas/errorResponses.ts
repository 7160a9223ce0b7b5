// The error responses of a route for the OpenAPI document, each described by the catalogue's
// meanings of the codes that answer with that status.
import { ERROR_CODES, ERROR_MEANINGS, HTTP_STATUS_OF } from '../../errors/sigmaErrors.js';
import { ErrorSchema } from './processSchemas.js';

function describeStatus(status: number): string {
  return ERROR_CODES.filter((code) => HTTP_STATUS_OF[code] === status)
    .map((code) => `\`${code}\`: ${ERROR_MEANINGS[code]}`)
    .join(' ');
}

export function errorResponses(...statuses: number[]): Record<number, typeof ErrorSchema & { description: string }> {
  const responses: Record<number, typeof ErrorSchema & { description: string }> = {};
  for (const status of statuses) responses[status] = { ...ErrorSchema, description: describeStatus(status) };
  return responses;
}
