// checkDataDir over every entry sigma reads or writes in a data dir, and over what lies above it:
// each one a link, writable by its group, or another user's is refused by name.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDataDir, dataDirEntries, UntrustedDataDirError } from '../../src/runtime/dataDirTrust.js';
import { makeTempDir, removeTempDirs } from '../support/tempDirs.js';

afterEach(removeTempDirs);

const UID = process.geteuid?.() ?? 0;
const IS_ROOT = UID === 0;
const nobodyUid = (): number => Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }));

const FILES = [
  'token',
  'daemon.json',
  'node-id',
  'sigma.db',
  'sigma.db-wal',
  'sigma.db-shm',
  'tls/cert.pem',
  'tls/key.pem',
  'launcher.sock.lock',
  'launcher.log',
  'launcher.log.1',
  'logs/1.stdout.log',
  'logs/1.stdout.log.1',
  'logs/1.stderr.log',
];

/** A data dir as sigma leaves it (but the launcher's socket), with its programs dir inside. */
function fullDataDir(): { dataDir: string; programsDir: string } {
  const dataDir = makeTempDir('sigma-trust-unit-');
  for (const dir of ['tls', 'logs']) mkdirSync(join(dataDir, dir), { mode: 0o700 });
  const programsDir = join(dataDir, 'programs');
  mkdirSync(programsDir, { mode: 0o755 });
  for (const file of FILES) writeFileSync(join(dataDir, file), 'x', { mode: file === 'tls/cert.pem' ? 0o644 : 0o600 });
  return { dataDir, programsDir };
}

const refusal = (dataDir: string, programsDir: string): string | null => {
  try {
    checkDataDir(dataDir, programsDir, UID);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(UntrustedDataDirError);
    return (error as Error).message;
  }
};

const ENTRIES = (() => {
  const { dataDir, programsDir } = fullDataDir();
  return dataDirEntries(dataDir, programsDir)
    .filter((entry) => entry.kind !== 'socket')
    .map((entry) => ({ name: relative(dataDir, entry.path), kind: entry.kind }));
})();

describe('checkDataDir', () => {
  it('covers every file sigma leaves in a data dir', () => {
    expect(ENTRIES.map((entry) => entry.name).sort()).toEqual([...FILES, 'tls', 'logs', 'programs'].sort());
  });

  it('accepts an empty data dir and a full one, as sigma makes them', () => {
    const empty = makeTempDir('sigma-trust-unit-');
    expect(refusal(empty, join(empty, 'programs'))).toBeNull();
    const { dataDir, programsDir } = fullDataDir();
    expect(refusal(dataDir, programsDir)).toBeNull();
  });

  for (const { name, kind } of ENTRIES) {
    it(`refuses ${name} as a link`, () => {
      const { dataDir, programsDir } = fullDataDir();
      const elsewhere = makeTempDir('sigma-trust-elsewhere-');
      const target = join(elsewhere, 'target');
      if (kind === 'directory') mkdirSync(target, { mode: 0o700 });
      else writeFileSync(target, 'x', { mode: 0o600 });
      rmSync(join(dataDir, name), { recursive: true });
      symlinkSync(target, join(dataDir, name));
      expect(refusal(dataDir, programsDir)).toMatch(new RegExp(`^${join(dataDir, name)} is a symbolic link: `));
    });

    it(`refuses ${name} writable by its group`, () => {
      const { dataDir, programsDir } = fullDataDir();
      chmodSync(join(dataDir, name), kind === 'directory' ? 0o770 : 0o660);
      expect(refusal(dataDir, programsDir)).toMatch(new RegExp(`^${join(dataDir, name)} is writable by its group \\(mode 0${kind === 'directory' ? '770' : '660'}\\): `));
    });

    it(`refuses ${name} owned by another user`, (context) => {
      if (!IS_ROOT) context.skip('needs root, to give a file to nobody');
      const { dataDir, programsDir } = fullDataDir();
      chownSync(join(dataDir, name), nobodyUid(), 0);
      expect(refusal(dataDir, programsDir)).toMatch(new RegExp(`^${join(dataDir, name)} is owned by uid ${nobodyUid()}, not by the daemon's user \\(uid ${UID}\\): `));
    });
  }

  it('refuses an entry of the wrong kind', () => {
    const { dataDir, programsDir } = fullDataDir();
    writeFileSync(join(dataDir, 'launcher.sock'), 'x', { mode: 0o600 });
    expect(refusal(dataDir, programsDir)).toMatch(/launcher\.sock is not a socket: /);
    rmSync(join(dataDir, 'launcher.sock'));
    rmSync(join(dataDir, 'token'));
    mkdirSync(join(dataDir, 'token'), { mode: 0o700 });
    expect(refusal(dataDir, programsDir)).toMatch(/token is not a regular file: /);
  });

  it('looks only at the names sigma uses in logs/, and at the programs dir only inside the data dir', () => {
    const { dataDir, programsDir } = fullDataDir();
    writeFileSync(join(dataDir, 'logs', 'notes.txt'), 'x', { mode: 0o666 });
    chmodSync(join(dataDir, 'logs', 'notes.txt'), 0o666);
    const outside = makeTempDir('sigma-trust-programs-');
    chmodSync(outside, 0o777);
    expect(refusal(dataDir, outside)).toBeNull();
    expect(refusal(dataDir, programsDir)).toBeNull();
  });

  it('refuses a data dir with a directory above it that others can write, unless sticky', () => {
    const above = makeTempDir('sigma-trust-above-');
    const dataDir = join(above, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    chmodSync(above, 0o777);
    expect(refusal(dataDir, join(dataDir, 'programs'))).toMatch(new RegExp(`^${above}, a directory above the data dir, is writable by its group and others \\(mode 0777\\): `));
    chmodSync(above, 0o1777);
    expect(refusal(dataDir, join(dataDir, 'programs'))).toBeNull();
  });

  it('follows a link to the data dir, checking the link\'s owner and where it leads', (context) => {
    const root = makeTempDir('sigma-trust-link-');
    const real = join(root, 'real');
    mkdirSync(real, { mode: 0o700 });
    const link = join(root, 'link');
    symlinkSync('real', link);
    expect(refusal(link, join(link, 'programs'))).toBeNull();
    chmodSync(real, 0o777);
    expect(refusal(link, join(link, 'programs'))).toMatch(new RegExp(`^the data dir ${real} is writable`));
    chmodSync(real, 0o700);
    if (!IS_ROOT) context.skip('needs root, to give a link to nobody');
    // A link in a sticky directory that its owner may point elsewhere at any time.
    chmodSync(root, 0o1777);
    execFileSync('chown', ['-h', String(nobodyUid()), link]);
    expect(refusal(link, join(link, 'programs'))).toMatch(new RegExp(`^${link}, a link on the way to the data dir, is owned by uid ${nobodyUid()}`));
  });
});
