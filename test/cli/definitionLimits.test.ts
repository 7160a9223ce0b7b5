// The client's copy of the definition limits stays equal to the API's.
import { expect, it } from 'vitest';
import { LIMITS } from '../../src/api/schemas/processSchemas.js';
import { DEFINITION_LIMITS } from '../../src/cli/definitionLimits.js';

it("matches the API's limits", () => {
  for (const [key, value] of Object.entries(DEFINITION_LIMITS)) expect(LIMITS[key as keyof typeof LIMITS], key).toBe(value);
});
