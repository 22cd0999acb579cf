/**
 * The PowerMTA v5.0 User's Guide's own samples (jnotes/pmta-doc index.html), verbatim, as unit
 * fixtures the parsers must read right: each test names its section. (Status plain/JSON §6.2.1,
 * domains §6.3.12, --errors, queues §6.3.13, rb §11.2.7 and the §11.2.9 union sample are in
 * parsers.test.ts, pmta-status.test.ts and accounting-layout.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accountingProbe, parseAccountingScan } from '../../../src/probes/accounting.js';
import { parseShowVmtas } from '../../../src/probes/pmta-status.js';
import { PREAMBLE } from '../../../src/probes/preamble.js';

describe('pmta show vmtas (UG §6.3.20 example, verbatim)', () => {
  const SAMPLE = [
    'name    domains #rcpt % total kbytes conn',
    '------- ------- ----- ------- ------ ----',
    'vmta572      13    18       2    0.1   16',
    'vmta103       1     8       1    0.1    8',
    'vmta118       2     8       1    0.1    5',
    'vmta808       2     8       1    0.1    2',
    'vmta261       7     8       1    0.1    3',
    'vmta188       1     7       1    0.0    0',
    'vmta863       4     6       0    0.0    5',
    '',
    '7 of 7 virtual MTAs.',
    '',
  ].join('\n');

  it('reads the seven rows and the footer without a warning', () => {
    const warnings: string[] = [];
    const vmtas = parseShowVmtas(SAMPLE, warnings);
    expect(warnings).toEqual([]);
    expect(vmtas).toHaveLength(7);
    expect(vmtas[0]).toEqual({ name: 'vmta572', domains: 13, rcpts: 18, kbytes: 0.1, connections: 16 });
    expect(vmtas[6]).toEqual({ name: 'vmta863', domains: 4, rcpts: 6, kbytes: 0, connections: 5 });
    expect(vmtas.reduce((n, v) => n + v.connections, 0)).toBe(39);
  });
});

// UG §11.2.2 / §11.2.3 / §11.2.4 "Sample accounting entry for a delivery / bounce / transient
// record", verbatim (the d and b rows have 22 values, one short of the header, as printed).
const HEADER_DBT = 'type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,vmta,jobId,envId,queue,vmtaPool';
const D_11_2_2 =
  'd,2019-02-08 21:54:05+0000,2019-02-08 21:54:05+0000,AA-D=1181.com@bounce.bar.com,D@1181.com,,relayed,2.0.0 (success),smtp;250 DATA ok,foo.int.port25.com (10.1.2.3),,api,foo.int.port25.com (127.0.0.1),smtp,10.1.2.3,10.1.2.3,"ENHANCEDSTATUSCODES,8BITMIME,SMTPUTF8",41159,vmta48,JoBID29546016861868,,1181.com/vmta48';
const B_11_2_3 =
  'b,2019-02-08 21:53:41+0000,2019-02-08 21:53:41+0000,CB-A=yahoo.com@bounce.bar.com,A@yahoo.com,,failed,5.7.1 (delivery not authorized),smtp;554 5.7.1 Denied - Spam Suspected - http://www.w357sfhsjhf873.net/services/spamwatch/blocked.php,foo.int.bar.com (10.1.2.3),spam-related,api,foo.int.bar.com (127.0.0.1),smtp,10.1.2.3,10.1.2.3,"ENHANCEDSTATUSCODES,8BITMIME,SMTPUTF8",,vmta18,,,yahoo.rollup/vmta18';
const T_11_2_4 =
  't,2019-02-08 21:53:54+0000,2019-02-08 21:53:54+0000,DB.AD.G.AA.AB-DA=yahoo.fr@bounce.bar.com,DA@yahoo.fr,,delayed,4.7.0 (other or undefined security status),smtp;421 4.7.0 mx002.roc2.bluetie.com Error: too many errors,foo.int.bar.com (10.1.2.165),policy-related,api,foo.int.bar.com (127.0.0.1),smtp,10.59.14.69,10.1.2.165,"ENHANCEDSTATUSCODES,8BITMIME,SMTPUTF8",,vmta21,,,yahoo.rollup/vmta21,';

const AWKS = (['mawk', 'gawk'] as const).filter((a) => existsSync(`/usr/bin/${a}`));

describe.each(AWKS)('accounting: the UG §11.2.2-§11.2.4 d, b and t samples (%s)', (awk) => {
  const dir = mkdtempSync(join(tmpdir(), 'mtaf-guide-acct-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function scan(name: string, eol: string) {
    mkdirSync(join(dir, name), { recursive: true });
    const file = join(dir, name, 'acct.csv');
    writeFileSync(file, [HEADER_DBT, D_11_2_2, B_11_2_3, T_11_2_4].join(eol) + eol);
    const config = join(dir, name, 'config');
    writeFileSync(config, `<acct-file ${file}>\n    records d,b,t\n</acct-file>\n`);
    const r = spawnSync('sh', ['-c', `${PREAMBLE.text}\n${accountingProbe.command.text}`], {
      env: { ...process.env, LC_ALL: 'C', MTAF_AWK: awk, MTAF_CONFIG: config, MTAF_WINDOW_HOURS: '24' },
      encoding: 'utf8',
    });
    const parsed = parseAccountingScan({ stdout: r.stdout, stderr: r.stderr, exitCode: r.status ?? 255 });
    if (parsed.result.status !== 'ok') throw new Error(parsed.result.reason);
    return parsed.result;
  }

  // §11.2.9: "records terminated with CRLF"; files seen in practice end lines with LF.
  it.each([
    ['LF', '\n'],
    ['CRLF (§11.2.9)', '\r\n'],
  ])('%s: one d, one b, one t in hour "2019-02-08 21"; recipient domains and source IPs by column name', (name, eol) => {
    const { facts } = scan(name.slice(0, 4).trim(), eol);
    expect(facts.records).toBe(3);
    expect(facts.pending).toBe(0);
    expect(facts.hourly).toEqual([{ hour: '2019-02-08 21', delivered: 1, deferred: 1, bounced: 1 }]);
    expect(facts.byDomain['1181.com']).toMatchObject({ delivered: 1, deferred: 0, bounced: 0 });
    expect(facts.byDomain['yahoo.com']).toMatchObject({ delivered: 0, deferred: 0, bounced: 1 });
    expect(facts.byDomain['yahoo.fr']).toMatchObject({ delivered: 0, deferred: 1, bounced: 0, deferralRate: 1 });
    // The quoted dlvEsmtpAvailable holds commas: the source IP is still the dlvSourceIp column.
    expect(facts.bySourceIp['10.1.2.3']).toMatchObject({ delivered: 1, bounced: 1 });
    expect(facts.bySourceIp['10.59.14.69']).toMatchObject({ deferred: 1 });
    expect(facts.until).toBe('2019-02-08 21:54:05+0000');
  });

  it('the UG §11.2.6 received-record sample is not a d/t/b record: skipped by type, beside a §11.2.2 d row', () => {
    // Header: the §11.2.6 field list in the sample's order (12 values), then the d row's columns.
    const name = 'recv';
    mkdirSync(join(dir, name), { recursive: true });
    const file = join(dir, name, 'acct.csv');
    const R_11_2_6 = 'r,2010-04-17 16:19:57-0400,test@port25.com,test@port25.com,,smtp,tesFeeder (192.168.25.56),192.168.25.56,192.168.25.11,vmta1,job2,envid1234';
    writeFileSync(file, [HEADER_DBT, R_11_2_6, D_11_2_2].join('\n') + '\n');
    const config = join(dir, name, 'config');
    writeFileSync(config, `<acct-file ${file}>\n    records r,d\n</acct-file>\n`);
    const r = spawnSync('sh', ['-c', `${PREAMBLE.text}\n${accountingProbe.command.text}`], {
      env: { ...process.env, LC_ALL: 'C', MTAF_AWK: awk, MTAF_CONFIG: config, MTAF_WINDOW_HOURS: '24' },
      encoding: 'utf8',
    });
    const parsed = parseAccountingScan({ stdout: r.stdout, stderr: r.stderr, exitCode: r.status ?? 255 });
    expect(parsed.result.status).toBe('ok');
    if (parsed.result.status !== 'ok') return;
    expect(parsed.result.facts.records).toBe(1);
    expect(parsed.result.facts.hourly).toEqual([{ hour: '2019-02-08 21', delivered: 1, deferred: 0, bounced: 0 }]);
  });
});
