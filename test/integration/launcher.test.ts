// The launcher's socket, attacked: frames of a bad length, cut short, of random bytes, and
// well-framed messages of random types and fields (fast-check), sent on connections of their
// own while a daemon is connected and jobs run. The launcher answers or closes such a
// connection, and nothing else changes: it lives, the daemon stays connected, its jobs run on.
// And a connection from another user is refused (SO_PEERCRED), whatever the file modes say.
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, Field, MessageType, PROTOCOL_VERSION } from '../../src/runtime/launcher/launcherWire.js';
import { isAlive } from '../support/osProcesses.js';
import { cleanUpDaemons, NATIVE, SigmaDaemon, trackJobGroup } from '../support/sigmaDaemon.js';
import { waitFor } from '../support/waitFor.js';

afterEach(cleanUpDaemons);

/** Sends bytes on a connection of its own and resolves once the launcher answered and/or closed, or after a while. */
function sendRaw(path: string, bytes: Buffer, { end }: { end: boolean }): Promise<{ answered: number; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(path);
    let answered = 0;
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ answered, closed });
    };
    const timer = setTimeout(() => finish(false), 300);
    socket.on('data', (chunk: Buffer) => (answered += chunk.length));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? finish(true) : reject(error)));
    socket.on('close', () => finish(true));
    socket.on('connect', () => {
      socket.write(bytes);
      if (end) socket.end();
    });
  });
}

const frameOf = (length: number, payload: Buffer): Buffer => {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(length);
  return Buffer.concat([head, payload]);
};

/** A message of a random type with random fields, framed correctly: what a confused client could send. */
const randomMessage = fc
  .tuple(
    fc.integer({ min: 0, max: 255 }),
    fc.array(
      fc.oneof(
        fc.tuple(fc.integer({ min: 0, max: 63 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
        fc.tuple(fc.constantFrom(Field.ARG, Field.ENV, Field.NODE_ID, Field.CWD, Field.PROGRAM_NAME, Field.CG_PATH), fc.string({ maxLength: 40 })),
      ),
      { maxLength: 12 },
    ),
  )
  .map(([type, fields]) => encodeFrame(type, fields as Array<[number, bigint | string]>));

/** Bytes that claim to be a frame: a truncated one, one longer than it says, a payload of noise. */
const noise = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.tuple(fc.integer({ min: 1, max: 200 }), fc.uint8Array({ maxLength: 100 })).map(([length, bytes]) => frameOf(length, Buffer.from(bytes))),
  fc.uint8Array({ minLength: 1, maxLength: 80 }).map((bytes) => frameOf(bytes.length, Buffer.from(bytes))),
);

describe.skipIf(!NATIVE)('the launcher, under garbage on its socket', () => {
  it('answers or closes each bad connection and changes nothing: it lives, its daemon and jobs carry on', async () => {
    const daemon = await SigmaDaemon.start();
    const socketPath = join(daemon.dataDir, 'launcher.sock');
    const long = (await daemon.create({ name: 'long', command: ['sleep', '300'], state: 'RUNNING' })).body.processes[0];
    trackJobGroup(long.pid);
    const ticks = (await daemon.create({ name: 'ticks', type: 'PERIODIC', period: 50, command: ['true'], state: 'RUNNING' })).body.processes[0];

    // Frames the launcher must refuse by their length alone.
    for (const bytes of [frameOf(0, Buffer.alloc(0)), frameOf(0xffffffff, Buffer.alloc(8)), frameOf((24 << 20) + 1, Buffer.alloc(16))]) {
      expect((await sendRaw(socketPath, bytes, { end: false })).closed, `a frame of length ${bytes.readUInt32LE(0)}`).toBe(true);
    }
    // Before a HELLO, only a HELLO is taken; one for another node is refused.
    const spawnFirst = await sendRaw(socketPath, encodeFrame(MessageType.SPAWN, [[Field.REQ_ID, 1], [Field.PROCESS_ID, long.id], [Field.ARG, 'id']]), { end: false });
    expect(spawnFirst).toMatchObject({ closed: true });
    expect(spawnFirst.answered).toBeGreaterThan(0);
    const otherNode = await sendRaw(socketPath, encodeFrame(MessageType.HELLO, [[Field.REQ_ID, 1], [Field.VERSION, PROTOCOL_VERSION], [Field.NODE_ID, 'another-node']]), { end: false });
    expect(otherNode.closed).toBe(true);

    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(randomMessage, noise), { minLength: 1, maxLength: 6 }), fc.boolean(), async (parts, end) => {
        await sendRaw(socketPath, Buffer.concat(parts), { end });
      }),
      { numRuns: 150, seed: Number(process.env.SIGMA_FC_SEED ?? 20261206) },
    );

    expect(isAlive(daemon.launcherPid as number), 'the launcher').toBe(true);
    expect(isAlive(long.pid), 'the long job').toBe(true);
    expect(await daemon.process(long.id)).toMatchObject({ state: 'RUNNING', pid: long.pid });
    const runs = (await daemon.process(ticks.id)).runs as number;
    await waitFor('the periodic process to go on', () => daemon.process(ticks.id), (p) => p.runs >= runs + 3);
    expect((await daemon.process(ticks.id)).failures).toBe(0);
    expect((await daemon.operate(long.id, 'STOP')).body.processes[0]).toMatchObject({ result: 'OK', state: 'DORMANT' });
    expect(await daemon.stop()).toBe(0);
  });

  it('refuses a connection from another user, even one the file modes let through', async (context) => {
    if (process.getuid?.() !== 0) context.skip('needs root, to connect as nobody');
    const daemon = await SigmaDaemon.start();
    const socketPath = join(daemon.dataDir, 'launcher.sock');
    expect(statSync(socketPath).mode & 0o077, 'the socket is its owner\'s only').toBe(0);
    // Opened up on purpose: the launcher's own check must refuse what the file system lets through.
    chmodSync(daemon.dataDir, 0o755);
    chmodSync(socketPath, 0o777);
    const script = `const s = require('net').connect(${JSON.stringify(socketPath)}); s.on('connect', () => s.write(Buffer.from([5,0,0,0,1,0,0,0,0]))); s.on('data', () => { console.log('answered'); process.exit(0); }); s.on('close', () => { console.log('closed'); process.exit(0); }); s.on('error', (e) => { console.log('error ' + e.code); process.exit(0); }); setTimeout(() => { console.log('open'); process.exit(0); }, 3000);`;
    const output = execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', script], { encoding: 'utf8' }).trim();
    // Closed without an answer (before or after the write reached it).
    expect(output).toMatch(/^(closed|error EPIPE|error ECONNRESET)$/);
    expect(readFileSync(join(daemon.dataDir, 'launcher.log'), 'utf8')).toMatch(/refused a connection from uid \d+/);
    expect((await daemon.request('GET', '/health')).status).toBe(200);
  });
});
