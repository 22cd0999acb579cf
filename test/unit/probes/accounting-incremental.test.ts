import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeAccountingProbe } from '../../../src/probes/accounting.js';
import { loadAccountingCursor, saveAccountingCursor, type AccountingCursor } from '../../../src/probes/accounting-cursor.js';
import { generateAcct } from './accounting-generate.js';
import { referenceAggregate } from './accounting-reference.js';

const AWKS: Array<[string, string[]]> = [
  ['mawk', []],
  ['gawk', ['--posix']],
].filter(([bin]) => existsSync(`/usr/bin/${bin}`)) as Array<[string, string[]]>;

const dir = mkdtempSync(join(tmpdir(), 'mtaf-acct-incr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const START = 1795800000;

/** Runs the probe's host script locally; returns facts, next cursor and the raw output. */
function audit(awk: string[], files: string[], windowHours: number, cursor?: AccountingCursor, env: Record<string, string> = {}) {
  const { probe, takeCursor } = makeAccountingProbe(cursor);
  const stdout = execFileSync('sh', ['-c', probe.command.text], {
    env: { ...process.env, LC_ALL: 'C', MTAF_AWK: awk.join(' '), MTAF_ACCT_FILES: files.join('\n'), MTAF_WINDOW_HOURS: String(windowHours), ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 * 1024 * 1024,
  }).toString('utf8');
  const result = probe.parse({ stdout, stderr: '', exitCode: 0 });
  if (result.status !== 'ok') throw new Error(result.reason);
  const next = takeCursor();
  if (!next) throw new Error('no cursor');
  // Round trip through the store, as the audit does between runs.
  saveAccountingCursor(dir, 'h', next);
  return { facts: result.facts, warnings: result.warnings, cursor: loadAccountingCursor(dir, 'h')!, stdout };
}

/** Byte offsets where records start (quote parity), to cut a file between records. */
function recordStarts(text: string): number[] {
  const starts = [0];
  let quotes = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quotes++;
    else if (text[i] === '\n' && quotes % 2 === 0) starts.push(i + 1);
  }
  return starts;
}

function cut(text: string, share: number): [string, string] {
  const starts = recordStarts(text);
  const at = starts[Math.floor(starts.length * share)]!;
  return [text.slice(0, at), text.slice(at)];
}

function comparable(facts: ReturnType<typeof audit>['facts']) {
  // acctFiles names the paths too.
  const { file: _f, files: _fs, acctFiles: _a, ...rest } = facts;
  return rest;
}

describe.each(AWKS)('incremental accounting in %s %s', (bin, flags) => {
  const awk = [bin, ...flags];

  it('appended records: incremental result equals a full analysis and the reference', () => {
    const path = join(dir, `acct-${bin}.csv`);
    const text = generateAcct(7, { records: 4000, start: START, step: 40 });
    const [first, rest] = cut(text, 0.55);
    const [middle, last] = cut(rest, 0.5);
    writeFileSync(path, first);
    const one = audit(awk, [path], 24);
    expect(one.stdout).toMatch(/^M\tfull$/m);
    expect(one.cursor.files[0]!.offset).toBe(Buffer.byteLength(first));

    // A record still being written (no newline yet) is left for the next audit.
    const partialLine = middle + last.slice(0, 30);
    appendFileSync(path, partialLine);
    const two = audit(awk, [path], 24, one.cursor);
    expect(two.stdout).toMatch(/^M\tincremental$/m);
    expect(two.cursor.files[0]!.offset).toBe(Buffer.byteLength(first + middle));
    writeFileSync(join(dir, 'prefix.csv'), first + middle);
    // The unfinished line is reported as pending, not counted.
    expect(two.facts.pending).toBe(1);
    expect({ ...comparable(two.facts), pending: 0 }).toEqual(comparable(audit(awk, [join(dir, 'prefix.csv')], 24).facts));

    appendFileSync(path, last.slice(30));
    const three = audit(awk, [path], 24, two.cursor);
    expect(three.stdout).toMatch(/^M\tincremental$/m);
    const full = audit(awk, [path], 24);
    expect(comparable(three.facts)).toEqual(comparable(full.facts));
    expect(three.warnings).toEqual(full.warnings);
    const reference = referenceAggregate([path], 24, 25).facts;
    expect(three.facts.records).toBe(reference.records);
    expect(three.facts.hourly).toEqual(reference.hourly);
    expect(three.facts.bySourceIp).toEqual(reference.bySourceIp);
    expect(three.facts.byDomain).toEqual(reference.byDomain);
    expect(three.facts.topDiagnostics).toEqual(reference.topDiagnostics);
    expect(three.facts.since).toBe(reference.since);
    expect(three.facts.until).toBe(reference.until);

    // Unchanged file: nothing is read, the cursor's edge is reused, same facts.
    const four = audit(awk, [path], 24, three.cursor);
    expect(four.stdout).toMatch(/^K$/m);
    expect(four.stdout).not.toMatch(/^[hidgmX]\t/m);
    expect(comparable(four.facts)).toEqual(comparable(full.facts));
  });

  it('rotation (new inode) and truncation fall back to a full analysis', () => {
    const path = join(dir, `acct-rot-${bin}.csv`);
    const text = generateAcct(8, { records: 2000, start: START, step: 40 });
    const [first, rest] = cut(text, 0.7);
    writeFileSync(path, first);
    const one = audit(awk, [path], 12);
    // Rotate: the old file moves aside (acct-DATE.csv sibling), a new one starts.
    renameSync(path, path.replace(/\.csv$/, '-2026-11-27-0000.csv'));
    writeFileSync(path, text.split('\n')[0] + '\n' + rest);
    const two = audit(awk, [path], 12, one.cursor);
    expect(two.stdout).toMatch(/^M\tfull$/m);
    expect(two.facts.files).toHaveLength(2);
    const reference = referenceAggregate(two.facts.files, 12, 25).facts;
    expect(two.facts.records).toBe(reference.records);
    expect(two.facts.byDomain).toEqual(reference.byDomain);
    expect(two.facts.hourly).toEqual(reference.hourly);

    // Truncated in place (same inode, shorter than the cursor's offset).
    writeFileSync(path, text.split('\n')[0] + '\n');
    expect(statSync(path).size).toBeLessThan(two.cursor.files[0]!.offset);
    const three = audit(awk, [path], 12, two.cursor);
    expect(three.stdout).toMatch(/^M\tfull$/m);
  });

  it('a different window length or machine is a full analysis; the tail guess skips old buckets exactly', () => {
    const path = join(dir, `acct-win-${bin}.csv`);
    writeFileSync(path, generateAcct(9, { records: 3000, start: START, step: 60 }));
    const one = audit(awk, [path], 24);
    expect(audit(awk, [path], 24, one.cursor).stdout).toMatch(/^M\tincremental$/m);
    expect(audit(awk, [path], 24, { ...one.cursor, hostId: 'f00' }).stdout).toMatch(/^M\tfull$/m);
    const two = audit(awk, [path], 6, one.cursor);
    expect(two.stdout).toMatch(/^M\tfull$/m);
    // Force the tail guess on a small file: same facts as without it.
    const guessed = audit(awk, [path], 6, undefined, { MTAF_ACCT_TAIL_MIN: '0' });
    expect(comparable(guessed.facts)).toEqual(comparable(two.facts));
    const reference = referenceAggregate([path], 6, 25).facts;
    expect(guessed.facts.records).toBe(reference.records);
    expect(guessed.facts.since).toBe(reference.since);
  });
});

describe('accounting cursor store', () => {
  const cursor: AccountingCursor = {
    version: 2,
    hostId: 'ab12',
    windowHours: 24,
    newest: { e: 1795800000, text: '2026-11-27 10:00:00+0000' },
    files: [{ path: '/var/log/pmta/acct.csv', inode: '1234', offset: 100, cols: '1 2 5 9 15 11 8 10 22' }],
    buckets: {},
    ranges: [{ file: 0, bucket: 498833, start: 0, end: 100 }],
    edge: null,
    counts: { badtime: 0, noheader: 0, unterminated: 0 },
    mx: {},
  };

  it('saves per host with private modes and loads it back', () => {
    const state = join(dir, 'state');
    saveAccountingCursor(state, 'mta-1.example', cursor);
    expect(loadAccountingCursor(state, 'mta-1.example')).toEqual(cursor);
    expect(loadAccountingCursor(state, 'mta-2.example')).toBeUndefined();
    expect(statSync(join(state, 'accounting')).mode & 0o777).toBe(0o700);
    expect(statSync(join(state, 'accounting', 'mta-1.example.json')).mode & 0o777).toBe(0o600);
  });

  it('treats a damaged or tampered cursor as none (the audit then reads everything)', () => {
    const state = join(dir, 'state2');
    saveAccountingCursor(state, 'h', { ...cursor, ranges: [{ file: 0, bucket: 1, start: 0, end: 1.5 }] });
    expect(loadAccountingCursor(state, 'h')).toBeUndefined();
    saveAccountingCursor(state, 'h', { ...cursor, files: [{ ...cursor.files[0]!, cols: '1 2 $(reboot)' }] });
    expect(loadAccountingCursor(state, 'h')).toBeUndefined();
    // A version-1 cursor (before per-IP/domain pairs and failures) is dropped, never misread.
    saveAccountingCursor(state, 'h', { ...cursor, version: 1 as unknown as 2, files: [{ ...cursor.files[0]!, cols: '1 2 5 9 15' }] });
    expect(loadAccountingCursor(state, 'h')).toBeUndefined();
    writeFileSync(join(state, 'accounting', 'h.json'), '{not json');
    expect(loadAccountingCursor(state, 'h')).toBeUndefined();
  });
});

describe('runProbes with an accounting cursor', () => {
  it('returns the cursor and, given it back, reads only the appended records', async () => {
    const { runProbes } = await import('../../../src/probes/index.js');
    const { localHost } = await import('./local-host.js');
    const host = join(dir, 'host');
    rmSync(host, { recursive: true, force: true });
    execFileSync('mkdir', ['-p', host]);
    const acct = join(host, 'acct.csv');
    writeFileSync(join(host, 'config'), `http-mgmt-port 0\n<acct-file ${acct}>\n  records d,b,t\n</acct-file>\n`);
    const [first, rest] = cut(generateAcct(11, { records: 1500, start: START, step: 40 }), 0.6);
    writeFileSync(acct, first);
    const conn = localHost('sh');
    const one = await runProbes(conn, { configPath: join(host, 'config') });
    expect(one.accountingCursor?.files).toEqual([expect.objectContaining({ path: acct, offset: Buffer.byteLength(first) })]);
    appendFileSync(acct, rest);
    const two = await runProbes(conn, { configPath: join(host, 'config'), accountingCursor: one.accountingCursor });
    const full = await runProbes(conn, { configPath: join(host, 'config') });
    expect(two.accountingCursor?.files[0]?.offset).toBe(statSync(acct).size);
    expect(comparable(two.facts.accounting!)).toEqual(comparable(full.facts.accounting!));
    expect(two.facts.accounting!.records).toBe(referenceAggregate([acct], 24, 25).facts.records);
  });
});
