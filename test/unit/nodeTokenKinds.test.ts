// The two kinds of token are told apart by their first characters: every partition token begins
// with PARTITION_TOKEN_PREFIX, and the daemon does not start with a node token that does.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServeConfig, ConfigError } from '../../src/config/serveConfig.js';
import { PARTITION_TOKEN_PREFIX } from '../../src/core/partition.js';
import { loadNodeToken } from '../../src/runtime/tokenFile.js';
import { makeTempDir, removeTempDirs } from '../support/tempDirs.js';

afterEach(() => removeTempDirs());

describe('node and partition tokens', () => {
  it('refuses a node token given with --token or SIGMA_TOKEN that begins as partition tokens do', () => {
    const lookalike = `${PARTITION_TOKEN_PREFIX}0123456789abcdef`;
    expect(() => buildServeConfig({ token: lookalike }, {}, '/tmp')).toThrow(new ConfigError(`the node token must not begin with ${PARTITION_TOKEN_PREFIX}: that is how partition tokens begin`));
    expect(() => buildServeConfig({}, { SIGMA_TOKEN: lookalike }, '/tmp')).toThrow(ConfigError);
    expect(buildServeConfig({ token: '0123456789abcdef-sigma_p_' }, {}, '/tmp').token).toBe('0123456789abcdef-sigma_p_');
  });

  it('refuses a token file that begins as partition tokens do', () => {
    const dataDir = makeTempDir('sigma-token-');
    const generated = loadNodeToken(dataDir, null);
    expect(generated.generatedPath).toBe(join(dataDir, 'token'));

    writeFileSync(join(dataDir, 'token'), `${PARTITION_TOKEN_PREFIX}written-by-hand-0123\n`, { mode: 0o600 });
    expect(() => loadNodeToken(dataDir, null)).toThrow(/begins with sigma_p_, as partition tokens do/);
  });

  it('is the prefix the dashboard tells a partition token by', () => {
    const page = readFileSync(new URL('../../web/tokenKind.ts', import.meta.url), 'utf8');
    expect(page).toContain(`const PARTITION_TOKEN_PREFIX = '${PARTITION_TOKEN_PREFIX}';`);
  });
});
