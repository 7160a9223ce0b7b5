import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The long-running checks have their own run: npm run test:slow.
    exclude: ['test/slow/**', 'node_modules/**'],
    // Integration tests start daemons and signal real process groups: one file at a time.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
