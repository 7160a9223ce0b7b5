// `sigma serve` as one file, dist/sigma-serve.js: the daemon's ~1,000 modules (TypeBox alone is
// 373 files) read, linked and compiled one by one took about 0.4 s of each start, a restart that
// adopts running jobs included. Built from tsc's output. The packages that find files of their own
// beside their code (a native addon, static files, a transport's worker) stay outside it. Where
// it is missing, dist/cli/main.js loads the modules one by one as before.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

await build({
  entryPoints: [fileURLToPath(new URL('../dist/cli/serveMain.js', import.meta.url))],
  outfile: fileURLToPath(new URL('../dist/sigma-serve.js', import.meta.url)),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'pino', 'thread-stream', '@fastify/static', '@fastify/swagger', '@fastify/swagger-ui'],
  // The CommonJS packages inside require Node's own modules.
  banner: { js: "import { createRequire as createRequireOfBundle } from 'node:module'; const require = createRequireOfBundle(import.meta.url);" },
  logLevel: 'warning',
});
