// The steps of a hostile session with the daemon, as fast-check arbitraries: requests valid by
// the OpenAPI document, mutated requests (hostileBodies, hostilePaths), real operations on real
// processes, and bursts of operations on one process sent at once.
import fc from 'fast-check';
import { bodyMutations } from './hostileBodies.js';
import { pathMutations } from './hostilePaths.js';
import { idChoice, safeOverrides, type ProcessOperation, type RealOperation, type Step } from './hostileStep.js';
import { documentedOperations, parametersIn, requestBodySchema, schemaArbitrary, type Json } from './openApiArbitraries.js';

/** One arbitrary of valid requests per documented operation. */
export function validSteps(document: Json): fc.Arbitrary<Step> {
  const overrides = safeOverrides();
  const arbitraries = documentedOperations(document).map(({ method, path, operation }) => {
    const queryModel = Object.fromEntries(
      parametersIn(document, operation, 'query').map((parameter: Json) => [parameter.name, schemaArbitrary(document, parameter.schema)]),
    );
    const bodySchema = requestBodySchema(document, operation);
    return fc.record({
      id: idChoice,
      query: fc.record(queryModel, { requiredKeys: [] }),
      body: bodySchema ? schemaArbitrary(document, bodySchema, overrides) : fc.constant(undefined),
    }).map(({ id, query, body }): Step => ({ kind: 'valid', method, template: path, id, query: query as Record<string, unknown>, body }));
  });
  return fc.oneof(...arbitraries);
}

export function mutatedSteps(document: Json): fc.Arbitrary<Step> {
  return fc.oneof({ weight: 3, arbitrary: bodyMutations(document) }, { weight: 2, arbitrary: pathMutations(document) });
}

export const operationSteps: fc.Arbitrary<Step> = fc.record({
  kind: fc.constant('operation' as const),
  operation: fc.constantFrom<RealOperation>('create-sleep', 'create-true', 'create-periodic', 'START', 'SUSPEND', 'RESUME', 'STOP', 'DELETE'),
  target: fc.nat({ max: 64 }),
  periodMs: fc.integer({ min: 50, max: 200 }),
  startNow: fc.boolean(),
});

const burstSteps: fc.Arbitrary<Step> = fc.record({
  kind: fc.constant('burst' as const),
  operations: fc.array(fc.constantFrom<ProcessOperation>('START', 'SUSPEND', 'RESUME', 'STOP', 'DELETE'), { minLength: 2, maxLength: 5 }),
  target: fc.nat({ max: 64 }),
});

/** A session: valid, mutated and real steps interleaved. */
export function sessionSteps(document: Json, minLength: number, maxLength: number): fc.Arbitrary<Step[]> {
  const step = fc.oneof(
    { weight: 7, arbitrary: validSteps(document) },
    { weight: 9, arbitrary: mutatedSteps(document) },
    { weight: 4, arbitrary: operationSteps },
    { weight: 1, arbitrary: burstSteps },
  );
  return fc.array(step, { minLength, maxLength });
}
