import { defineConfig } from 'vitest/config';

// The long-running checks (`npm run test:slow`), apart from `npm test`.
export default defineConfig({
  test: {
    include: ['test/slow/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 60_000,
  },
});
