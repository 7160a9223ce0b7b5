// Where the files beside the code are found, from the top of dist/. One module at this depth, so
// that the daemon's single-file build (dist/sigma-serve.js, beside this one) finds them too: a
// path taken from a module's own place would change with the file it ends up in.
import { fileURLToPath } from 'node:url';

/** The native launcher, where `npm run build` compiles it (it may be missing). */
export const LAUNCHER_BINARY_PATH = fileURLToPath(new URL('./launcher/sigma-launcher', import.meta.url));
/** The dashboard's page, scripts and styles. */
export const DASHBOARD_DIR = fileURLToPath(new URL('./web/', import.meta.url));
export const PACKAGE_JSON_PATH = fileURLToPath(new URL('../package.json', import.meta.url));
/** The module-loading hook `sigma serve` registers under a small descriptor limit. */
export const MODULE_SOURCES_HOOK_URL = new URL('./cli/moduleSourcesOneByOne.js', import.meta.url);
