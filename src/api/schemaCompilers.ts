// The routes' schemas are compiled when a route first needs them, not all before the daemon
// listens. Fastify compiles a serializer for every status of every route and a validator for every
// part at start: some 150 compilations, a third of a restart's time to its first answer, most of
// them serializers of error answers that are never used (errors are sent as text). A daemon that
// restarts under load answers, and shows its adopted jobs, that much sooner.
import { SerializerSelector, type SerializerFactory } from '@fastify/fast-json-stringify-compiler';
import type { FastifySchemaCompiler } from 'fastify';
import { requestValidatorCompiler } from './requestValidators.js';

type Validator = ((data: unknown) => unknown) & { errors?: unknown };

/** Validators compiled at their first request (Fastify reads a failed validation's `errors` off the function). */
export function validatorCompiledOnFirstUse(): FastifySchemaCompiler<unknown> {
  const compile = requestValidatorCompiler();
  return (route) => {
    let compiled: Validator | null = null;
    const validate: Validator = (data) => {
      compiled ??= compile(route) as Validator;
      const verdict = compiled(data);
      validate.errors = compiled.errors;
      return verdict;
    };
    return validate as ReturnType<FastifySchemaCompiler<unknown>>;
  };
}

/** Fastify's own serializers (fast-json-stringify), each compiled at its first answer. */
export function serializerFactoryCompiledOnFirstUse(): SerializerFactory {
  const factory = SerializerSelector();
  return (externalSchemas, options) => {
    const compile = factory(externalSchemas, options);
    return (route) => {
      let compiled: ((data: unknown) => string) | null = null;
      return (data: unknown) => (compiled ??= compile(route))(data);
    };
  };
}
