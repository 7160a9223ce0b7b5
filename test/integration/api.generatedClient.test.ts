// A client generated from the served OpenAPI document (openapi-typescript + openapi-fetch), as a
// user would make one: its types are generated from a running daemon, the contract's whole flow
// written against them type-checks under strict, and runs against the daemon as the contract says.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUpDaemons, SigmaDaemon } from '../support/sigmaDaemon.js';

afterEach(cleanUpDaemons);

const FLOW_DIR = fileURLToPath(new URL('../fixtures/generatedClient/', import.meta.url));
const TSC = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));

describe('a client generated from GET /openapi.json', () => {
  it('type-checks the contract flow under strict and runs it: create, START, SUSPEND, RESUME, STOP, get, list, a 404, DELETE', async () => {
    const daemon = await SigmaDaemon.start();
    const document = (await daemon.request('GET', '/openapi.json')).body;
    writeFileSync(`${FLOW_DIR}sigmaApi.ts`, astToString(await openapiTS(document)));
    const strict = ['--noEmit', '--strict', '--noUncheckedIndexedAccess', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck'];
    try {
      execFileSync(process.execPath, [TSC, ...strict, `${FLOW_DIR}seedFlow.ts`], { stdio: 'pipe', timeout: 120_000 });
    } catch (error) {
      throw new Error(`the flow does not type-check against the generated client:\n${String((error as { stdout?: Buffer }).stdout ?? error)}`);
    }
    const types = readFileSync(`${FLOW_DIR}sigmaApi.ts`, 'utf8');
    expect(types, 'named types, not only inline ones').toMatch(/\bProcess: \{/);

    // By URL, so that the project's type-check does not follow it to the types generated just now.
    const flow = new URL('../fixtures/generatedClient/seedFlow.ts', import.meta.url).href;
    const { runSeedFlow } = (await import(flow)) as { runSeedFlow: (baseUrl: string, token: string) => Promise<string[]> };
    expect(await runSeedFlow(daemon.url, daemon.token)).toEqual([
      'created DORMANT',
      'START OK RUNNING',
      'SUSPEND OK SUSPENDEND',
      'RESUME OK RUNNING',
      'STOP OK DORMANT',
      'get generated DORMANT',
      'list true',
      'missing 404 SIGMA_ERR_PROCESS_NOT_FOUND',
      'delete 204',
    ]);
    expect((await daemon.request('GET', '/processes')).body.processes).toEqual([]);
    // The type-check alone takes 10 to 20 s on a quiet machine.
  }, 180_000);
});
