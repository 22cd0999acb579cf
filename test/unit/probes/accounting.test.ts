import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accountingProbe, parseAccounting, parseAccountingScan } from '../../../src/probes/accounting.js';
import type { AccountingFacts } from '../../../src/probes/accounting.js';
import { generateAcct } from './accounting-generate.js';
import { referenceAggregate } from './accounting-reference.js';

const AWKS: Array<[string, string[]]> = [
  ['mawk', []],
  ['gawk', []],
  ['gawk', ['--posix']],
].filter(([bin]) => existsSync(`/usr/bin/${bin}`)) as Array<[string, string[]]>;

const dir = mkdtempSync(join(tmpdir(), 'mtaf-probes-acct-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** A `dd` that fails like one without iflag=skip_bytes. */
const failingDd = join(dir, 'no-dd');
mkdirSync(failingDd);
writeFileSync(join(failingDd, 'dd'), '#!/bin/sh\necho "dd: invalid input flag" >&2\nexit 1\n', { mode: 0o755 });

/** The probe's whole host script, run locally by dash with the given awk: stdout and stderr. */
function runProbe(bin: string, flags: string[], files: string[], windowHours: number, env: Record<string, string> = {}): { stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', accountingProbe.command.text], {
    env: { ...process.env, LC_ALL: 'C', MTAF_AWK: [bin, ...flags].join(' '), MTAF_ACCT_FILES: files.join('\n'), MTAF_WINDOW_HOURS: String(windowHours), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`probe exited ${r.status}: ${r.stderr.toString('utf8')}`);
  return { stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

function runAwk(bin: string, flags: string[], files: string[], windowHours: number, env: Record<string, string> = {}): string {
  return runProbe(bin, flags, files, windowHours, env).stdout;
}

/** The probe's "chunks N OK" lines: how many parallel chunks each file had and whether they joined up. */
const chunkLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('chunks\t'));

function analyse(stdout: string): ReturnType<typeof parseAccountingScan> & { facts: AccountingFacts; warnings: string[] } {
  const scan = parseAccountingScan({ stdout, stderr: '', exitCode: 0 }, undefined);
  if (scan.result.status !== 'ok') throw new Error(scan.result.reason);
  return { ...scan, facts: scan.result.facts, warnings: scan.result.warnings };
}

const START = 1795800000; // 2026-11-27 ~

const CASES = [
  { name: 'one LF file, ISO times', seed: 1, windowHours: 24, files: [{ records: 3000, start: START, step: 40 }] },
  { name: 'CRLF file with Unix times', seed: 2, windowHours: 24, files: [{ records: 3000, start: START, step: 60, crlf: true, unix: true }] },
  {
    name: 'rotated + current file, 6 h window, different column orders',
    seed: 3,
    windowHours: 6,
    files: [
      { records: 2000, start: START - 86400, step: 40 },
      { records: 2000, start: START, step: 20, crlf: true },
    ],
  },
  { name: 'stale log (window ends at the newest record, not now)', seed: 4, windowHours: 24, files: [{ records: 1500, start: 1500000000, step: 200 }] },
  // Several records a second: consecutive records often carry the same time text (reused).
  { name: 'several records a second, ISO and Unix times, 1 h window', seed: 5, windowHours: 1, files: [{ records: 4000, start: START, step: 2, unix: true }] },
];

describe.each(AWKS)('accounting awk in %s %s', (bin, flags) => {
  it.each(CASES)('matches the csv-parse reference: $name', ({ seed, windowHours, files }) => {
    const paths = files.map((options, i) => {
      const path = join(dir, `acct-${seed}-${i}.csv`);
      writeFileSync(path, generateAcct(seed * 10 + i, options));
      return path;
    });
    const stdout = runAwk(bin, flags, paths, windowHours);
    const { facts, warnings } = analyse(stdout);
    // The same in 5 parallel chunks (some start inside multi-line quoted fields: those
    // chunks must be detected and the file read again serially).
    const parallel = { MTAF_ACCT_PAR_MIN: '0', MTAF_ACCT_PAR: '5' };
    const chunkedRun = runProbe(bin, flags, paths, windowHours, parallel);
    const chunked = analyse(chunkedRun.stdout);
    expect(chunked.facts).toEqual(facts);
    expect(chunked.warnings).toEqual(warnings);
    // Where dd cannot seek (no GNU dd), the chunks read through tail instead: the same result,
    // and the same chunks joining up (a wrong start would only show as a serial re-read).
    const noDdRun = runProbe(bin, flags, paths, windowHours, { ...parallel, PATH: `${failingDd}:${process.env.PATH}` });
    expect(analyse(noDdRun.stdout).facts).toEqual(facts);
    expect(chunkLines(noDdRun.stderr)).toEqual(chunkLines(chunkedRun.stderr));
    expect(chunkLines(chunkedRun.stderr).length).toBe(paths.length);
    expect(facts.files).toEqual(paths);
    const reference = referenceAggregate(paths, windowHours, 25);
    expect(facts.records).toBeGreaterThan(100);
    expect(facts.records).toBe(reference.facts.records);
    expect(facts.since).toBe(reference.facts.since);
    expect(facts.until).toBe(reference.facts.until);
    expect(facts.hourly).toEqual(reference.facts.hourly);
    expect(facts.bySourceIp).toEqual(reference.facts.bySourceIp);
    expect(facts.byDomain).toEqual(reference.facts.byDomain);
    expect(facts.topDiagnostics).toEqual(reference.facts.topDiagnostics);
    expect(facts.hasTransientRecords).toBe(reference.facts.hasTransientRecords);
    const badTime = /(\d+) d\/t\/b record\(s\) with an unreadable timeLogged/.exec(warnings.join('\n'))?.[1];
    expect(Number(badTime ?? 0)).toBe(reference.badTime);
    expect(warnings.filter((w) => !w.includes('unreadable timeLogged'))).toEqual([]);
  });

  it('reads the UG sample records, where the article\'s $15 would count the wrong column', () => {
    const path = join(dir, 'ug-sample.csv');
    writeFileSync(
      path,
      [
        'type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,vmta,jobId,envId,queue,vmtaPool',
        'd,2019-02-08 21:54:05+0000,2019-02-08 21:54:05+0000,AA-D=1181.com@bounce.bar.com,D@1181.com,,relayed,2.0.0 (success),smtp;250 DATA ok,foo.int.port25.com (10.1.2.3),,api,foo.int.port25.com (127.0.0.1),smtp,10.1.2.3,10.1.2.3,"ENHANCEDSTATUSCODES,8BITMIME,SMTPUTF8",41159,vmta48,JoBID29546016861868,,1181.com/vmta48',
        't,2019-02-08 21:53:54+0000,2019-02-08 21:53:54+0000,DB.AD.G.AA.AB-DA=yahoo.fr@bounce.bar.com,DA@yahoo.fr,,delayed,4.7.0 (other or undefined security status),smtp;421 4.7.0 mx002.roc2.bluetie.com Error: too many errors,foo.int.bar.com (10.1.2.165),policy-related,api,foo.int.bar.com (127.0.0.1),smtp,10.59.14.69,10.1.2.165,"ENHANCEDSTATUSCODES,8BITMIME,SMTPUTF8",,vmta21,,,yahoo.rollup/vmta21,',
        'r,2019-02-08 21:50:00+0000,,x@y,z@w',
        '',
      ].join('\n'),
    );
    const { facts } = analyse(runAwk(bin, flags, [path], 24));
    expect(facts.records).toBe(2);
    expect(facts.bySourceIp).toEqual({
      '10.1.2.3': { delivered: 1, deferred: 0, bounced: 0 },
      '10.59.14.69': { delivered: 0, deferred: 1, bounced: 0 },
    });
    expect(facts.byDomain['yahoo.fr']).toEqual({ delivered: 0, deferred: 1, bounced: 0, deferralRate: 1 });
    expect(facts.topDiagnostics).toEqual([
      // Normalised: the server name (a long token with digits) is a placeholder.
      { domain: 'yahoo.fr', count: 1, pattern: 'smtp;421 4.7.0 <id> Error: too many errors' },
    ]);
    // Per (source IP, domain), the failure details (bounceCat, DSN status code) and the MX per domain.
    expect(facts.byIpDomain).toEqual({
      '10.1.2.3': { '1181.com': { delivered: 1, deferred: 0, bounced: 0, policy: 0, queueFailures: 0 } },
      '10.59.14.69': { 'yahoo.fr': { delivered: 0, deferred: 1, bounced: 0, policy: 0, queueFailures: 0 } },
    });
    expect(facts.failures).toEqual([
      { type: 't', domain: 'yahoo.fr', bounceCat: 'policy-related', dsnStatus: '4.7.0', pattern: 'smtp;421 4.7.0 <id> Error: too many errors', count: 1 },
    ]);
    // The MX is taken from failure records (the domains reputation is about).
    expect(facts.mxHosts).toEqual({ 'yahoo.fr': 'foo.int.bar.com' });
    expect(facts.since).toBe('2019-02-08 21:53:54+0000');
    expect(facts.until).toBe('2019-02-08 21:54:05+0000');
    expect(facts.hourly).toEqual([{ hour: '2019-02-08 21', delivered: 1, deferred: 1, bounced: 0 }]);
  });
});

describe('parseAccounting', () => {
  it('says the probe is unavailable when no acct file exists', () => {
    const result = parseAccounting({ stdout: '@@mtafleet-missing accounting file /var/log/pmta/acct.csv\n', stderr: '', exitCode: 0 });
    expect(result).toEqual({ status: 'unavailable', reason: 'accounting file /var/log/pmta/acct.csv not found' });
  });

  it('warns that deferral rates are unknown when the window has no t records', () => {
    const stdout = 'V\t2\nW\t24\nM\tfull\nF\t1\t7\t100\t0\t/var/log/pmta/acct.csv\nN\t3600\t1970-01-01 01:00:00+0000\nm\t0\t3599\t1970-01-01 00:59:59+0000\nh\t0\t1970-01-01 00\t10\t0\t0\nd\t0\tgmail.com\t10\t0\t0\nA\t-24\t-82800\t3600\n';
    const result = parseAccounting({ stdout, stderr: 'file\t/var/log/pmta/acct.csv\n', exitCode: 0 });
    expect(result.status).toBe('ok');
    if (result.status !== 'ok') return;
    expect(result.facts.hasTransientRecords).toBe(false);
    expect(result.facts.records).toBe(10);
    expect(result.facts.file).toBe('/var/log/pmta/acct.csv');
    expect(result.warnings.join('\n')).toMatch(/deferral rates are unknown/);
  });

  it('turns unknown output lines into warnings instead of throwing', () => {
    const result = parseAccounting({ stdout: 'V\t2\nsomething odd\n', stderr: '', exitCode: 0 });
    expect(result.status === 'ok' && result.warnings.some((w) => w.includes('something odd'))).toBe(true);
  });
});
