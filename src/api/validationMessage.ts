// Turns a schema violation into one sentence that names the field, what it accepts and, where it
// helps, the value sent and what was likely meant.
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { nearestWord } from '../core/nearestWord.js';
import { argvSuggestion } from './argvSuggestion.js';
import { quotedValue } from './quotedValue.js';
import { PATTERN_RULES } from './schemas/processSchemas.js';

/** A suggested argv may be longer than a quoted value: it is the one thing to copy from the message. */
const SUGGESTION_MAX_CHARS = 200;

interface ParentSchema {
  description?: string;
  patternProperties?: object;
  additionalProperties?: unknown;
  properties?: Record<string, unknown>;
  items?: { type?: unknown };
}

export function validationMessage(errors: FastifySchemaValidationError[], dataVar: string): string {
  // The outermost union, when the value fits none of its forms.
  const union = errors.filter((error) => error.keyword === 'anyOf').sort((a, b) => depthOf(a) - depthOf(b))[0];
  if (union) return unionMessage(union, errors, dataVar);
  const error = errors[0];
  if (!error) return `${dataVar} is invalid`;
  const where = `${dataVar}${error.instancePath.replaceAll('/', '.')}`;
  const params = error.params as Record<string, unknown>;
  const schema = (error as { parentSchema?: ParentSchema }).parentSchema;
  const data = (error as { data?: unknown }).data;
  switch (error.keyword) {
    case 'enum':
      return `${where} must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'additionalProperties':
      return schema?.patternProperties
        ? `${where} has an invalid name ${quotedValue(params.additionalProperty)}: ${schema.description ?? ''}`
        : unknownFieldMessage(where, String(params.additionalProperty), Object.keys(schema?.properties ?? {}));
    case 'pattern': {
      const rule = PATTERN_RULES[String(params.pattern)];
      if (rule) return `${where} must be ${rule}, not ${quotedValue(data)}`;
      return schema?.description ? `${where} is not accepted: ${schema.description}` : `${where} does not have the expected form`;
    }
    case 'type':
      if (params.type === 'array' && schema?.items?.type === 'string' && typeof data === 'string') return stringForArgvMessage(where, data, schema.description);
      return `${where} ${error.message ?? 'is invalid'}`;
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

function unknownFieldMessage(where: string, field: string, known: string[]): string {
  const near = nearestWord(field, known);
  const hint = near !== null ? ` (did you mean "${near}"?)` : known.length > 0 ? `; the fields are ${known.join(', ')}` : '';
  return `${where} has an unknown field ${quotedValue(field)}${hint}`;
}

/** "sleep 5" where an argv is taken: says what the field is and shows the array it likely meant. */
function stringForArgvMessage(where: string, line: string, description: string | undefined): string {
  const what = description?.startsWith('The argv') ? 'an array of strings (the argv, run without a shell)' : 'an array of strings';
  const suggestion = argvSuggestion(line);
  const example = suggestion === null ? '' : `, e.g. ${quotedValue(suggestion, SUGGESTION_MAX_CHARS)} for ${quotedValue(line)}`;
  return `${where} must be ${what}${example}`;
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
  // Forms of another type than the value (null, for an object sent) are not the ones meant.
  const otherTypes = forms.filter((error) => error.keyword === 'type' && depthOf(error) === depthOf(union)).length;
  const branches = ((union as { schema?: unknown[] }).schema ?? []).length - otherTypes;
  const unknown = forms.filter((error) => error.keyword === 'additionalProperties');
  const fieldOf = (error: FastifySchemaValidationError): string => String((error.params as Record<string, unknown>).additionalProperty);
  const unknownToAll = unknown.find((error) => unknown.filter((other) => fieldOf(other) === fieldOf(error)).length >= branches);
  const where = `${dataVar}${union.instancePath.replaceAll('/', '.')}`;
  const parent = (union as { parentSchema?: ParentSchema }).parentSchema;
  if (unknownToAll !== undefined) {
    const form = (unknownToAll as { parentSchema?: ParentSchema }).parentSchema;
    return unknownFieldMessage(where, fieldOf(unknownToAll), Object.keys(form?.properties ?? parent?.properties ?? {}));
  }
  // The union sits on an object whose own fields are closed (an operation): a field it does not
  // have fails every form on what is missing, yet is the thing to fix.
  const data = (union as { data?: unknown }).data;
  if (parent?.additionalProperties === false && parent.properties && typeof data === 'object' && data !== null) {
    const stray = Object.keys(data).find((field) => !Object.hasOwn(parent.properties ?? {}, field));
    if (stray !== undefined) return unknownFieldMessage(where, stray, Object.keys(parent.properties));
  }
  return `${where} is not accepted${parent?.description ? `: ${parent.description}` : ''}`;
}
