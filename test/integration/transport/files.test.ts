import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSshd, type Sshd } from '../../helpers/sshd.js';
import { connect } from '../../../src/transport/ssh.js';
import type { HostConnection } from '../../../src/transport/types.js';
import { ExecError } from '../../../src/util/errors.js';
import { knownHostsFor, specFor, tempDir } from './helpers.js';

// sshd runs on this machine, so the "remote" files are checked directly on the local disk.
describe('readFile and writeFileAtomic over a real sshd', () => {
  let sshd: Sshd | undefined;
  let conn: HostConnection | undefined;
  let dir = '';
  let work = '';

  beforeAll(async () => {
    dir = tempDir('files');
    work = join(dir, 'remote');
    mkdirSync(work);
    sshd = await startSshd();
    conn = await connect(specFor(sshd, knownHostsFor(dir, sshd)));
  });

  afterAll(async () => {
    await conn?.close();
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('readFile returns the exact bytes, null for a missing file, and throws for other errors', async () => {
    const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
    writeFileSync(join(work, 'binary'), bytes);
    expect((await conn!.readFile(join(work, 'binary')))!.equals(bytes)).toBe(true);
    expect(await conn!.readFile(join(work, 'absent'))).toBeNull();
    await expect(conn!.readFile(work)).rejects.toThrow(ExecError);
    await expect(conn!.readFile(work)).rejects.toThrow(/cannot read .*Is a directory/);
  });

  it('creates a new file with mode 0644 by default, or the given mode, owner and group', async () => {
    const plain = join(work, "new file with 'quotes' $(x)");
    await conn!.writeFileAtomic(plain, 'hello\n');
    expect(readFileSync(plain, 'utf8')).toBe('hello\n');
    expect(statSync(plain).mode & 0o7777).toBe(0o644);

    const owned = join(work, 'owned.conf');
    await conn!.writeFileAtomic(owned, 'x', { mode: 0o600, owner: 'daemon', group: 'adm' });
    const st = statSync(owned);
    expect(st.mode & 0o7777).toBe(0o600);
    expect(st.uid).toBe(1); // daemon
    expect(st.gid).toBe(4); // adm
  });

  it('keeps mode and owner of the file it replaces, and leaves no temp file', async () => {
    const target = join(work, 'config');
    writeFileSync(target, 'old');
    chmodSync(target, 0o640);
    chownSync(target, 1, 4);
    await conn!.writeFileAtomic(target, Buffer.from('new contents\n'));
    const st = statSync(target);
    expect(readFileSync(target, 'utf8')).toBe('new contents\n');
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o640, 1, 4]);
    expect(readdirSync(work).filter((f) => f.includes('mtafleet'))).toEqual([]);
  });

  it('fails without touching the target when the directory does not exist', async () => {
    await expect(conn!.writeFileAtomic(join(work, 'nodir', 'f'), 'x')).rejects.toThrow(/cannot write .*nodir/);
  });

  it('removes its temp file when the write fails half way', async () => {
    const target = join(work, 'badowner');
    await expect(conn!.writeFileAtomic(target, 'x', { owner: 'mtaf-tr-no-such-user' })).rejects.toThrow(ExecError);
    expect(readdirSync(work).filter((f) => f.includes('badowner'))).toEqual([]);
  });

  it('readers never see a partial file while it is rewritten', async () => {
    const target = join(work, 'big');
    const a = Buffer.alloc(2 * 1024 * 1024, 'a');
    const b = Buffer.alloc(2 * 1024 * 1024, 'b');
    writeFileSync(target, a);
    let writing = true;
    let reads = 0;
    const bad: string[] = [];
    const reader = (async () => {
      while (writing) {
        const seen = readFileSync(target);
        reads++;
        if (!seen.equals(a) && !seen.equals(b)) bad.push(`read of ${seen.length} bytes`);
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 6; i++) await conn!.writeFileAtomic(target, i % 2 === 0 ? b : a);
    writing = false;
    await reader;
    expect(bad).toEqual([]);
    expect(reads).toBeGreaterThan(6);
    expect(readFileSync(target).equals(a)).toBe(true);
  });
});
