// Two validators: bodies are checked strictly as sent (no coercion, nothing dropped), while path
// and query values, which arrive as text, are converted to the schema's types.
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

function makeAjv(options: Options): Ajv {
  // verbose: errors carry their schema, so a broken pattern is explained by the field's description.
  const ajv = new Ajv({ allErrors: false, strict: true, removeAdditional: false, useDefaults: false, verbose: true, ...options });
  addFormats.default(ajv);
  return ajv;
}

export function requestValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strictAjv = makeAjv({ coerceTypes: false });
  const coercingAjv = makeAjv({ coerceTypes: true });
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strictAjv : coercingAjv;
    return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
  };
}
