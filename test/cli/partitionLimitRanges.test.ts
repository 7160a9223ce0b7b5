// The client's copy of the partition limits' ranges stays equal to the API's.
import { expect, it } from 'vitest';
import { PARTITION_LIMITS } from '../../src/api/schemas/partitionSchemas.js';
import { PARTITION_LIMIT_RANGES } from '../../src/cli/partitionLimitRanges.js';

it("matches the API's ranges", () => {
  expect(Object.keys(PARTITION_LIMIT_RANGES).sort()).toEqual(Object.keys(PARTITION_LIMITS).sort());
  for (const [limit, range] of Object.entries(PARTITION_LIMIT_RANGES)) {
    expect(PARTITION_LIMITS[limit as keyof typeof PARTITION_LIMITS], limit).toEqual({ minimum: range.min, maximum: range.max });
  }
});
