// The error responses of a route, each with its description, for the OpenAPI document.
import { ErrorSchema } from './processSchemas.js';

const DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'The request is malformed or the definition is inconsistent.',
  401: 'No token, or not the node token.',
  404: 'No such process.',
  409: 'Another process already has this name.',
  413: 'The body is larger than 64 KiB.',
  503: 'The daemon is shutting down, or its store cannot be written.',
};

export function errorResponses(...statuses: number[]): Record<number, typeof ErrorSchema & { description: string }> {
  const responses: Record<number, typeof ErrorSchema & { description: string }> = {};
  for (const status of statuses) responses[status] = { ...ErrorSchema, description: DESCRIPTIONS[status] ?? 'Error.' };
  return responses;
}
