// Turns a schema violation into one sentence that names the field and what it accepts.
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';

export function validationMessage(errors: FastifySchemaValidationError[], dataVar: string): string {
  const error = errors[0];
  if (!error) return `${dataVar} is invalid`;
  const where = `${dataVar}${error.instancePath.replaceAll('/', '.')}`;
  const params = error.params as Record<string, unknown>;
  const schema = (error as { parentSchema?: { description?: string; patternProperties?: object } }).parentSchema;
  switch (error.keyword) {
    case 'enum':
      return `${where} must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'additionalProperties':
      return schema?.patternProperties
        ? `${where} has an invalid name "${String(params.additionalProperty)}": ${schema.description ?? ''}`
        : `${where} has an unknown field "${String(params.additionalProperty)}"`;
    case 'pattern':
      return schema?.description ? `${where} is not accepted: ${schema.description}` : `${where} does not have the expected form`;
    case 'required':
      return `${where} needs the field "${String(params.missingProperty)}"`;
    case 'maxProperties':
    case 'minProperties':
      // The body's own description says what it takes (e.g. exactly one of two fields).
      return schema?.description
        ? `${where} ${error.message ?? 'is invalid'}: ${schema.description}`
        : `${where} ${error.message ?? 'is invalid'}`;
    default:
      return `${where} ${error.message ?? 'is invalid'}`;
  }
}
