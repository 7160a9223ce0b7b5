// The Node.js flags the daemon runs with: the `sigma` command's first line and `npm start` pass
// them (test/unit/nodeFlags.test.ts keeps the three the same). Young-generation semi-spaces of
// 2 MiB instead of 16: the daemon keeps little of what a request allocates, and after a burst of
// requests the larger ones stayed resident (17 MB of 124 with 1,000 live jobs, `npm run bench`,
// restart section), for no measurable gain in throughput.
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=2'] as const;
