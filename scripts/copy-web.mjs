// Copies the dashboard's static files (everything in web/ but the TypeScript, which tsc compiles) into dist/web.
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../web/', import.meta.url));
const target = fileURLToPath(new URL('../dist/web/', import.meta.url));
cpSync(source, target, { recursive: true, filter: (path) => !path.endsWith('.ts') });
