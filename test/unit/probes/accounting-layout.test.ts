/**
 * Accounting layouts as operators configure them (issue #12 item 4): several <acct-file>
 * blocks with overlapping `records`, the dated live file and move-to archives (UG §11.3,
 * §11.3.1), pipes and quoted paths (UG §11.3), files without timeLogged, unfinished last lines.
 * The probe's host script (preamble + accounting command) runs locally under mawk and gawk.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accountingProbe, makeAccountingProbe, parseAccountingScan } from '../../../src/probes/accounting.js';
import type { AccountingCursor } from '../../../src/probes/accounting-merge.js';
import { PREAMBLE } from '../../../src/probes/preamble.js';

const AWKS: Array<[string, string[]]> = [
  ['mawk', []],
  ['gawk', []],
  ['gawk', ['--posix']],
].filter(([bin]) => existsSync(`/usr/bin/${bin}`)) as Array<[string, string[]]>;

const dir = mkdtempSync(join(tmpdir(), 'mtaf-acct-layout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CORPUS = join(__dirname, '../../../../shared/corpus/powermta');
const hasCorpus = existsSync(CORPUS);
if (!hasCorpus) console.warn(`accounting-layout: ${CORPUS} absent: the corpus cases are skipped`);

/** The preamble (reads MTAF_CONFIG) and the accounting command, run by sh with the given awk. */
function probe(awk: string[], config: string, windowHours = 24, previous?: AccountingCursor) {
  const made = makeAccountingProbe(previous);
  const r = spawnSync('sh', ['-c', `${PREAMBLE.text}\n${(previous ? made.probe : accountingProbe).command.text}`], {
    env: { ...process.env, LC_ALL: 'C', MTAF_AWK: awk.join(' '), MTAF_CONFIG: config, MTAF_WINDOW_HOURS: String(windowHours) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout = r.stdout.toString('utf8');
  const scan = parseAccountingScan({ stdout, stderr: r.stderr.toString('utf8'), exitCode: r.status ?? 255 }, previous);
  if (scan.result.status !== 'ok') throw new Error(`${scan.result.reason}\n${stdout}`);
  return { stdout, facts: scan.result.facts, warnings: scan.result.warnings, cursor: scan.cursor! };
}

/** The acct-file specs the preamble extracts from a config. */
function specs(config: string): { specs: string[]; pipes: string[] } {
  const r = spawnSync('sh', ['-c', `${PREAMBLE.text}\nprintf '%s\\n@@\\n%s\\n' "$MTAF_ACCT_SPECS" "$MTAF_ACCT_PIPES"`], {
    env: { ...process.env, LC_ALL: 'C', MTAF_CONFIG: config, MTAF_WINDOW_HOURS: '24' },
  });
  const [a, b] = r.stdout.toString('utf8').split('@@\n');
  return { specs: a!.split('\n').filter(Boolean), pipes: b!.split('\n').filter(Boolean) };
}

const HEADER = 'type,timeLogged,orig,rcpt,dsnDiag,dlvSourceIp';
const iso = (e: number) => `${new Date(e * 1000).toISOString().slice(0, 19).replace('T', ' ')}+0000`;
/** n records of a type, one every `step` s from `start`. */
function rows(type: string, n: number, start: number, step: number, domain = 'gmail.com'): string[] {
  return Array.from({ length: n }, (_, i) => `${type},${iso(start + i * step)},o@x.test,u${i}@${domain},${type === 'd' ? 'smtp;250 ok' : 'smtp;421 4.7.0 try later'},192.0.2.${(i % 4) + 1}`);
}
function write(path: string, lines: string[], mtime?: number): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `${lines.join('\n')}\n`);
  if (mtime !== undefined) utimesSync(path, mtime, mtime);
}

const T0 = 1795800000 - (1795800000 % 3600); // an hour start, 2026-11-27

describe.each(AWKS)('accounting layouts in %s %s', (...awk) => {
  const bin = [awk[0], ...awk[1]];
  const root = join(dir, awk.join('-').replace(/\W/g, '_'));

  it('counts a delivery once when two acct files both hold d (the first block in config order is read for d)', () => {
    const d = rows('d', 50, T0, 60);
    const b = rows('b', 5, T0 + 30, 600, 'yahoo.com');
    const t = rows('t', 20, T0 + 10, 120, 'outlook.com');
    // UG §11.3.1 "Multiple files can be used": acct.csv has the default d,b; success.csv d
    // again; softbounces.csv t (the martechstack layout of the corpus).
    write(join(root, 'multi/acct.csv'), [HEADER, ...[...d, ...b].sort((x, y) => x.split(',')[1]!.localeCompare(y.split(',')[1]!))]);
    write(join(root, 'multi/success.csv'), [HEADER, ...d]);
    write(join(root, 'multi/softbounces.csv'), [HEADER, ...t]);
    const config = join(root, 'multi/config');
    writeFileSync(
      config,
      [`<acct-file ${root}/multi/acct.csv>`, '  max-size 25M', '</acct-file>', `<acct-file ${root}/multi/softbounces.csv>`, '  records t', '</acct-file>', `<acct-file ${root}/multi/success.csv>`, '  records d', '</acct-file>', ''].join('\n'),
    );
    const { facts, warnings } = probe(bin, config);
    expect(facts.records).toBe(75);
    expect(facts.byDomain['gmail.com']!.delivered).toBe(50);
    expect(facts.byDomain['outlook.com']!.deferred).toBe(20);
    expect(facts.byDomain['yahoo.com']!.bounced).toBe(5);
    expect(facts.acctFiles.map((f) => [f.path.split('/').pop(), f.records.join(','), f.read.join(','), f.files])).toEqual([
      ['acct.csv', 'd,b', 'd,b', 1],
      ['softbounces.csv', 't', 't', 1],
      ['success.csv', 'd', '', 0],
    ]);
    expect(facts.files.map((f) => f.split('/').pop())).toEqual(['acct.csv', 'softbounces.csv']);
    // The files reach back 49 min only (49 d records a minute apart): said, not hidden.
    expect(warnings).toEqual([expect.stringMatching(/^accounting: the files read cover 0\.82 h of the 24 h asked/)]);
  });

  it('reads the dated live file and the hourly move-to archives of the window, and says how many hours that covered', () => {
    // UG §11.3.1: <acct-file log/acct.csv> writes acct-2007-09-05-0000.csv; every move-interval
    // (1h here) the file goes to move-to. 26 hourly files: 25 archived, the live one.
    const base = join(root, 'hourly');
    for (let h = 0; h < 26; h++) {
      const name = `acct-2026-11-27-${String(h).padStart(4, '0')}.csv`;
      const start = T0 + h * 3600;
      write(join(base, h < 25 ? 'archive' : '.', name), [HEADER, ...rows('d', 60, start, 60), ...rows('t', 6, start + 5, 600)], start + 3599);
    }
    const config = join(base, 'config');
    writeFileSync(config, [`<acct-file "${base}/acct.csv">`, `    move-to ${base}/archive`, '    move-interval 1h', '    records d,b,t', '</acct-file>', ''].join('\n'));
    const { facts, warnings } = probe(bin, config);
    // The window: 24 h ending at the newest record (hour 25 +59 min): hours 2..25 in full.
    expect(facts.records).toBe(24 * 66);
    expect(facts.hourly).toHaveLength(24);
    expect(facts.coveredHours).toBe(24);
    expect(facts.acctFiles[0]).toMatchObject({ path: `${base}/acct.csv`, moveTo: `${base}/archive`, read: ['d', 't', 'b'] });
    // Files older than the window (plus 2 h slack) are not read.
    expect(facts.acctFiles[0]!.files).toBeLessThanOrEqual(27);
    expect(facts.files).toContain(`${base}/acct-2026-11-27-0025.csv`);
    expect(warnings).toEqual([]);

    // Without move-to the archives are not found: one hour covered, and the audit says so.
    writeFileSync(config, [`<acct-file ${base}/acct.csv>`, '    records d,b,t', '</acct-file>', ''].join('\n'));
    const short = probe(bin, config);
    expect(short.facts.files).toEqual([`${base}/acct-2026-11-27-0025.csv`]);
    expect(short.facts.records).toBe(66);
    expect(short.facts.coveredHours).toBeLessThan(1);
    expect(short.warnings.join('\n')).toMatch(/cover 0\.\d+ h of the 24 h asked/);
  });

  it('keeps the incremental cursor right when the live file is moved to move-to and a new one starts', () => {
    const base = join(root, 'moving');
    const hour = (h: number) => [HEADER, ...rows('d', 30, T0 + h * 3600, 120), ...rows('t', 3, T0 + h * 3600 + 7, 1200)];
    for (let h = 0; h < 3; h++) write(join(base, 'archive', `acct-2026-11-27-000${h}.csv`), hour(h), T0 + h * 3600 + 3599);
    write(join(base, 'acct-2026-11-27-0003.csv'), hour(3).slice(0, 20), T0 + 3 * 3600 + 3599);
    const config = join(base, 'config');
    writeFileSync(config, `<acct-file ${base}/acct.csv>\n records d,t\n move-to ${base}/archive\n move-interval 1h\n</acct-file>\n`);
    const one = probe(bin, config, 6);
    // Appended to the live file: incremental.
    appendFileSync(join(base, 'acct-2026-11-27-0003.csv'), `${hour(3).slice(20).join('\n')}\n`);
    // mtimes as the records say (selection is by mtime relative to the newest file).
    utimesSync(join(base, 'acct-2026-11-27-0003.csv'), T0 + 3 * 3600 + 3599, T0 + 3 * 3600 + 3599);
    const two = probe(bin, config, 6, one.cursor);
    expect(two.stdout).toMatch(/^M\tincremental$/m);
    // The hour ends: the live file moves to the archive (a new path: a new file) and a new one starts.
    renameSync(join(base, 'acct-2026-11-27-0003.csv'), join(base, 'archive', 'acct-2026-11-27-0003.csv'));
    write(join(base, 'acct-2026-11-27-0004.csv'), hour(4).slice(0, 10), T0 + 4 * 3600 + 1000);
    const three = probe(bin, config, 6, two.cursor);
    const full = probe(bin, config, 6);
    expect(three.stdout).toMatch(/^M\tfull$/m);
    expect(three.facts.records).toBe(full.facts.records);
    expect(three.facts.hourly).toEqual(full.facts.hourly);
    // Every record once: hours 0-3 in full (33 each) and the 9 records of hour 4 so far.
    expect(full.facts.records, JSON.stringify([full.facts.hourly, full.facts.files, full.warnings])).toBe(4 * 33 + 9);
    expect(three.facts.acctFiles[0]!.files).toBe(5);
  });

  it('skips a pipe acct-file with a note, unquotes a quoted path (UG §11.3)', () => {
    const base = join(root, 'pipe dir');
    write(join(base, 'acct.csv'), [HEADER, ...rows('d', 3, T0, 60)]);
    const config = join(root, 'pipe.config');
    // UG §11.3.1 pipe example, and a quoted path with a space (UG §11.3: "quote the acct file path if it contains spaces").
    writeFileSync(config, [`<acct-file "${base}/acct.csv">`, '</acct-file>', '<acct-file |/usr/local/bin/etl --thisOption>', '    records d', '</acct-file>', ''].join('\n'));
    const { facts, warnings } = probe(bin, config);
    expect(facts.files).toEqual([`${base}/acct.csv`]);
    expect(facts.records).toBe(3);
    expect(facts.pipes).toEqual(['|/usr/local/bin/etl --thisOption']);
    expect(warnings.some((w) => w.includes('"|/usr/local/bin/etl --thisOption" is a pipe'))).toBe(true);
  });

  it('reports an unfinished last line as pending, never as a record', () => {
    const path = join(root, 'pending/acct.csv');
    write(path, [HEADER, ...rows('d', 4, T0, 60)]);
    writeFileSync(path, `${readFileSync(path, 'utf8')}d,${iso(T0 + 300)},o@x.test,half@gma`, { flag: 'w' });
    const config = join(root, 'pending/config');
    writeFileSync(config, `<acct-file ${path}>\n</acct-file>\n`);
    const { facts } = probe(bin, config);
    expect(facts.records).toBe(4);
    expect(facts.pending).toBe(1);
  });

  it('warns when a file has no timeLogged column, and when no d/t/b records were read (UG §11.2.7 rb sample)', () => {
    const base = join(root, 'notime');
    // record-fields chosen without timeLogged: the records cannot be placed in a window.
    write(join(base, 'acct.csv'), ['type,orig,rcpt', 'd,o@x.test,a@gmail.com', 'd,o@x.test,b@gmail.com']);
    // UG §11.2.7 "Sample accounting entry for a remote bounce record", verbatim row (its header per §11.2.7's field list).
    write(join(base, 'bounces.csv'), [
      'type,timeLogged,orig,rcpt,orcpt,dsnStatus,dsnDiag,dsnMta,dsnReportingMta,bounceCat,srcType,srcMta',
      'rb,2010-12-01 14:24:44-0500,bounce@bounce.com,lksjflkj@somedomain.com,,5.1.1 (bad destination mailbox address),"smtp;550 5.1.1 no such local recipient: <lksjflkj@somedomain.com> in ""RCPT TO:<lksjflkj@somedomain.com>""",mail.remotedomain.com (169.3.169.30),my.local.server.com,bad-mailbox,smtp,my.local.server.com',
      '(192.168.0.150),',
    ]);
    const config = join(base, 'config');
    writeFileSync(config, `<acct-file ${base}/acct.csv>\n records d\n</acct-file>\n<acct-file ${base}/bounces.csv>\n records b, rb\n</acct-file>\n`);
    const { facts, warnings, cursor } = probe(bin, config);
    expect(facts.records).toBe(0);
    expect(warnings.join('\n')).toContain(`${base}/acct.csv has no timeLogged column: 2 d/t/b record(s) cannot be placed`);
    expect(warnings.join('\n')).toMatch(/no d, t or b records in the window/);
    // The next audit reads nothing new (incremental): the warning stays.
    const again = probe(bin, config, 24, cursor);
    expect(again.stdout).toMatch(/^M\tincremental$/m);
    expect(again.warnings.join('\n')).toContain('2 d/t/b record(s) in files without a timeLogged column were not counted');
  });

  it('reads the UG §11.2.9 union example (Unix time_t stamps) with the CRLF record ends §11.2.9 describes', () => {
    const path = join(root, 'union/acct.csv');
    mkdirSync(join(root, 'union'), { recursive: true });
    // UG §11.2.9 "the resulting file (including a few record of each type) might look like", verbatim rows.
    const rowsText = [
      'type,timeLogged,orig,rcpt,dlvSourceIp,bounceCat',
      'd,1178807903,orig@port25.com,user1@domain.com,10.0.0.1,',
      'd,1178807905,orig@port25.com,user2@domain.com,10.0.0.1,',
      'b,1178807915,orig@port25.com,user3@domain.com,,policy-related',
      'b,1178807915,orig@port25.com,user4@domain.com,,policy-related',
    ];
    writeFileSync(path, `${rowsText.join('\r\n')}\r\n`);
    const config = join(root, 'union/config');
    writeFileSync(config, `<acct-file ${path}>\n records d, b\n</acct-file>\n`);
    const { facts, warnings } = probe(bin, config);
    expect(facts.records).toBe(4);
    expect(facts.hourly).toEqual([{ hour: '2007-05-10 14', delivered: 2, deferred: 0, bounced: 2 }]);
    expect(facts.bySourceIp).toEqual({ '10.0.0.1': { delivered: 2, deferred: 0, bounced: 0 }, '(none)': { delivered: 0, deferred: 0, bounced: 2 } });
    expect(facts.until).toBe('2007-05-10 14:38:35+0000');
    expect(facts.pending).toBe(0);
    // No t in `records`: deferral rates unknown, said once; the 12 s of data are the coverage.
    expect(warnings).toEqual([
      expect.stringMatching(/^accounting: the files read cover 0 h of the 24 h asked/),
      expect.stringMatching(/^accounting: no t \(transient\) records/),
    ]);
  });

  it.skipIf(!hasCorpus)('corpus: the §11.2 samples with CRLF line ends and the §11.2.9 union example with Unix times', () => {
    for (const [file, records] of [
      ['ug50-dbt-default-header-crlf.csv', { d: 1, t: 1, b: 1 }],
      ['ug50-union-epoch.csv', { d: 2, t: 0, b: 2 }],
    ] as const) {
      const config = join(root, `corpus-${file}.config`);
      writeFileSync(config, `<acct-file ${join(CORPUS, 'acct', file)}>\n records d,b,t\n</acct-file>\n`);
      const { facts } = probe(bin, config);
      const total = facts.hourly.reduce((n, h) => ({ d: n.d + h.delivered, t: n.t + h.deferred, b: n.b + h.bounced }), { d: 0, t: 0, b: 0 });
      expect(total, file).toEqual(records);
      expect(facts.pending, file).toBe(0);
    }
  });
});

describe('acct-file blocks in the preamble', () => {
  it('gives path, records and move-to per block; long record names shortened; pipes apart (UG §3.3, §11.3.1)', () => {
    const config = join(dir, 'specs.config');
    writeFileSync(
      config,
      [
        '<acct-file log/acct-bd.csv>',
        '    records b,d',
        '    record-fields d *,!orcpt,header_myCustomHeader',
        '</acct-file>',
        '<acct-file log/acct-t.csv>',
        '    records transient, tq',
        '    move-to "/var/log/pmta archive"  # hourly',
        '</acct-file>',
        '<acct-file |C:\\pmta\\bin\\customCode.exe --thisOption --thatOption>',
        '</acct-file>',
        '<acct-file /var/log/pmta/acct.csv>',
        '</acct-file>',
        '',
      ].join('\n'),
    );
    expect(specs(config)).toEqual({
      specs: ['log/acct-bd.csv\tb,d\t', 'log/acct-t.csv\tt,tq\t/var/log/pmta archive', '/var/log/pmta/acct.csv\td,b\t'],
      pipes: ['|C:\\pmta\\bin\\customCode.exe --thisOption --thatOption'],
    });
  });

  it.skipIf(!hasCorpus)('corpus: martechstack (four files, d twice) and the SparkPost demo (a pipe)', () => {
    expect(specs(join(CORPUS, 'config/martechstack-main.config')).specs).toEqual([
      '/var/log/pmta/acct.csv\td,b\t',
      '/var/log/pmta/hardbounces.csv\trb\t',
      '/var/log/pmta/softbounces.csv\tt\t',
      '/var/log/pmta/success.csv\td\t',
    ]);
    expect(specs(join(CORPUS, 'config/sparkpost-signals-demo.config'))).toEqual({
      specs: ['/var/log/pmta/acct.csv\td,b,f,rb\t'],
      pipes: ['|/usr/local/bin/acct_etl --logfile acct_etl.log'],
    });
    expect(specs(join(CORPUS, 'config/ug50-operator-constructs.config')).specs).toEqual(['/var/log/pmta/acct.csv\td,b,t,tq\t/var/log/archive']);
  });
});
