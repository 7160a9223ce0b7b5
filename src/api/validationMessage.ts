// Turns a schema violation into one sentence that names the field and what it accepts.
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';

export function validationMessage(errors: FastifySchemaValidationError[], dataVar: string): string {
  // The outermost union, when the value fits none of its forms.
  const union = errors.filter((error) => error.keyword === 'anyOf').sort((a, b) => depthOf(a) - depthOf(b))[0];
  if (union) return unionMessage(union, errors, dataVar);
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

const depthOf = (error: FastifySchemaValidationError): number => error.instancePath.split('/').length;

/**
 * A value that fits none of a union's forms: the deepest complaint of a form when one reaches
 * inside the value (a field out of range), a field no form knows, else what the union takes.
 */
function unionMessage(union: FastifySchemaValidationError, errors: FastifySchemaValidationError[], dataVar: string): string {
  // A form's own pins (const, not) say which form was not taken, not what is wrong: left out.
  const forms = errors.filter((error) => error.keyword !== 'anyOf' && error.keyword !== 'const' && error.keyword !== 'not');
  // Of the deepest complaints, one about the value itself (a range) over "must be null" of a nullable field.
  const deepest = [...forms].sort((a, b) => depthOf(b) - depthOf(a) || Number(a.keyword === 'type') - Number(b.keyword === 'type'))[0];
  if (deepest && depthOf(deepest) > depthOf(union)) return validationMessage([deepest], dataVar);
  const branches = ((union as { schema?: unknown[] }).schema ?? []).length;
  const unknown = forms.filter((error) => error.keyword === 'additionalProperties').map((error) => String((error.params as Record<string, unknown>).additionalProperty));
  const unknownToAll = unknown.find((field) => unknown.filter((other) => other === field).length >= branches);
  const where = `${dataVar}${union.instancePath.replaceAll('/', '.')}`;
  if (unknownToAll !== undefined) return `${where} has an unknown field "${unknownToAll}"`;
  const description = (union as { parentSchema?: { description?: string } }).parentSchema?.description;
  return `${where} is not accepted${description ? `: ${description}` : ''}`;
}
