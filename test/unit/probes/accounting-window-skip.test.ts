/**
 * The scan's fast skip of records before the window (MINB, accounting-awk.ts): a record of an
 * earlier bucket is skipped on its type and time fields alone. What the scan reports for the
 * buckets it keeps must be what a scan of everything reports for them — with quoted type or
 * time fields, unreadable and Unix times, CRLF, a second header (concatenated files), and a
 * quoted field running over several lines that starts before the window.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ACCOUNTING_AWK } from '../../../src/probes/accounting-awk.js';
import { generateAcct } from './accounting-generate.js';

const AWKS: Array<[string, string[]]> = (
  [
    ['mawk', []],
    ['gawk', []],
    ['gawk', ['--posix']],
  ] as Array<[string, string[]]>
).filter(([bin]) => existsSync(`/usr/bin/${bin}`));

const dir = mkdtempSync(join(tmpdir(), 'mtaf-probes-acct-skip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const START = 1795800000;
// Output kinds whose second field is the bucket.
const BUCKETED = new Set(['m', 'o', 'h', 'x', 'c']);
// Whole-file facts that do not depend on MINB (H, the MX of failing domains, does: left out).
const GLOBAL = new Set(['N', 'Q', 'Y', 'E', 'L', 'C', 'P']);

function scan(bin: string, flags: string[], file: string, minb?: number): string[] {
  const r = spawnSync(bin, [...flags, '-v', 'MODE=scan', ...(minb === undefined ? [] : ['-v', `MINB=${minb}`]), ACCOUNTING_AWK, file], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${bin} exited ${r.status}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

/** The lines a MINB scan must print: the full scan's global facts and its buckets >= minb. */
function expected(all: string[], minb: number): string[] {
  return all.filter((l) => {
    const [kind, bucket] = l.split('\t');
    return GLOBAL.has(kind!) || (BUCKETED.has(kind!) && Number(bucket) >= minb);
  });
}

function kept(lines: string[]): string[] {
  return lines.filter((l) => GLOBAL.has(l.split('\t')[0]!) || BUCKETED.has(l.split('\t')[0]!)).sort();
}

const CASES = [
  { name: 'standard columns, ISO times with offsets', seed: 11, options: { records: 2500, start: START, step: 40, standardColumns: true } },
  { name: 'CRLF, Unix and ISO times', seed: 12, options: { records: 2500, start: START, step: 40, crlf: true, unix: true, standardColumns: true } },
];

describe.each(AWKS)('accounting scan before the window, %s %s', (bin, flags) => {
  for (const c of CASES) {
    it(`${c.name}: the kept buckets are exactly the full scan's`, () => {
      // Two files concatenated: the second header line must be read as one, not skipped.
      const text = generateAcct(c.seed, c.options) + generateAcct(c.seed + 100, { ...c.options, start: START + c.options.records * c.options.step });
      const file = join(dir, `${c.seed}.csv`);
      writeFileSync(file, text);
      const all = scan(bin, flags, file);
      const buckets = all.filter((l) => l.startsWith('m\t')).map((l) => Number(l.split('\t')[1]));
      expect(buckets.length).toBeGreaterThan(20);
      for (const minb of [Math.min(...buckets) + 5, Math.max(...buckets) - 10]) {
        const part = scan(bin, flags, file, minb);
        expect(kept(part)).toEqual(expected(all, minb).sort());
        // Records were skipped: fewer buckets than the full scan.
        expect(part.filter((l) => l.startsWith('m\t')).length).toBeLessThan(buckets.length);
      }
    });
  }

  it('a quoted field over several lines that starts before the window is one record, skipped whole', () => {
    const header = 'type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,srcMta,dlvType,dlvSourceIp';
    const rec = (type: string, time: string, diag: string, ip: string) => `${type},${time},${time},a@x,u@gmail.com,,relayed,2.0.0,${diag},mx,,smtp,src,smtp,${ip}`;
    const lines = [
      header,
      rec('d', '2026-11-27 10:00:00+0000', 'ok', '198.51.100.1'),
      rec('d', '2026-11-27 10:00:01+0000', 'ok', '198.51.100.1'),
      // Its dsnDiag runs over two lines; the second looks like a record of the window.
      rec('t', '2026-11-27 10:00:02+0000', '"smtp;421 try later\nd,2026-11-27 20:00:00+0000,x,a@x,v@yahoo.com,,relayed,2.0.0,ok"', '198.51.100.2'),
      // The same from a record type the scan does not count (f).
      rec('f', '2026-11-27 10:00:03+0000', '"fbl\nd,2026-11-27 20:00:01+0000,x,a@x,w@yahoo.com,,relayed,2.0.0,ok"', '198.51.100.2'),
      rec('d', '2026-11-27 20:00:05+0000', 'ok', '198.51.100.3'),
    ];
    const file = join(dir, 'multiline.csv');
    writeFileSync(file, lines.join('\n') + '\n');
    const minb = Math.floor(Date.UTC(2026, 10, 27, 20) / 3600_000);
    const part = scan(bin, flags, file, minb);
    const all = scan(bin, flags, file);
    expect(kept(part)).toEqual(expected(all, minb).sort());
    // One delivery in the window (198.51.100.3, gmail.com): the quoted line is not a record.
    expect(part.filter((l) => l.startsWith('x\t'))).toEqual([`x\t${minb}\t198.51.100.3\tgmail.com\t1\t0\t0\t0\t0`]);
    expect(part.some((l) => l.includes('yahoo'))).toBe(false);
  });
});
