/**
 * The failure details the reputation diagnosis reads (per source IP and domain, bounceCat, DSN
 * status, tq and rb records, the MX per domain), from the real host script over fixture CSVs,
 * and the dsnDiag normaliser on Guide and corpus texts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accountingProbe, parseAccountingScan, type AccountingFacts } from '../../../src/probes/accounting.js';
import { diagPattern, normaliseDiag } from '../../../src/probes/diag-normalise.js';

const AWKS: Array<[string, string[]]> = [
  ['mawk', []],
  ['gawk', ['--posix']],
].filter(([bin]) => existsSync(`/usr/bin/${bin}`)) as Array<[string, string[]]>;

const dir = mkdtempSync(join(tmpdir(), 'mtaf-acct-fail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function facts(bin: string, flags: string[], file: string): AccountingFacts {
  const r = spawnSync('sh', ['-c', accountingProbe.command.text], {
    env: { ...process.env, LC_ALL: 'C', MTAF_AWK: [bin, ...flags].join(' '), MTAF_ACCT_FILES: file, MTAF_WINDOW_HOURS: '24' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const scan = parseAccountingScan({ stdout: r.stdout.toString('utf8'), stderr: '', exitCode: r.status ?? 1 }, undefined);
  if (scan.result.status !== 'ok') throw new Error(scan.result.reason);
  return scan.result.facts;
}

const HEADER =
  'type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,vmta,jobId,envId,queue,vmtaPool';
const ESMTP = '"ENHANCEDSTATUSCODES,8BITMIME,SMTPUTF8"';
// The Microsoft block text (corpus isp-deferral-texts.txt) with a different IP per source.
const s3150 = (ip: string) => `"smtp;550 5.7.1 Unfortunately, messages from [${ip}] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150)."`;
const tss04 = (ip: string) => `smtp;421 4.7.0 [TSS04] Messages from ${ip} temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes`;

/** A file in the Guide's default d/b/t layout (UG §11.2), plus tq (§11.2.5) and rb (§11.2.7) lines under a union header. */
function fixture(eol: string): string {
  const t = (m: number) => `2026-11-27 10:${String(m).padStart(2, '0')}:00+0000`;
  const lines = [
    `${HEADER},dsnReportingMta`,
    `d,${t(1)},${t(1)},b@x.example,a1@hotmail.com,,relayed,2.0.0 (success),smtp;250 2.0.0 OK,hotmail-com.olc.protection.outlook.com (192.0.2.53),,smtp,h (127.0.0.1),smtp,203.0.113.1,192.0.2.53,${ESMTP},100,vmta1,,,hotmail.com/vmta1,default,`,
    `b,${t(2)},${t(2)},b@x.example,a2@hotmail.com,,failed,5.7.1 (delivery not authorized),${s3150('203.0.113.2')},hotmail-com.olc.protection.outlook.com (192.0.2.53),policy-related,smtp,h (127.0.0.1),smtp,203.0.113.2,192.0.2.53,${ESMTP},,vmta2,,,hotmail.com/vmta2,default,`,
    `b,${t(3)},${t(3)},b@x.example,a3@outlook.com,,failed,5.7.1 (delivery not authorized),${s3150('203.0.113.2')},outlook-com.olc.protection.outlook.com (192.0.2.52),policy-related,smtp,h (127.0.0.1),smtp,203.0.113.2,192.0.2.52,${ESMTP},,vmta2,,,outlook.com/vmta2,default,`,
    `t,${t(4)},${t(4)},b@x.example,a4@yahoo.com,,delayed,4.7.0 (other or undefined security status),${tss04('203.0.113.1')},mta5.am0.yahoodns.net (192.0.2.77),policy-related,smtp,h (127.0.0.1),smtp,203.0.113.1,192.0.2.77,${ESMTP},,vmta1,,,yahoo.com/vmta1,default,`,
    `t,${t(5)},${t(5)},b@x.example,a5@yahoo.com,,delayed,4.7.0 (other or undefined security status),${tss04('203.0.113.3')},mta5.am0.yahoodns.net (192.0.2.77),policy-related,smtp,h (127.0.0.1),smtp,203.0.113.3,192.0.2.77,${ESMTP},,vmta3,,,yahoo.com/vmta3,default,`,
    // tq (UG §11.2.5 sample layout): no recipient; the queue names the domain.
    `tq,${t(6)},,,,,,4.4.1 (no answer from host),,mx.xn--bcher-kva.de (87.98.150.101),,,,smtp,203.0.113.4,87.98.150.101,,,vmta4,,,xn--bcher-kva.de/vmta4,,`,
    // rb (UG §11.2.7): a remote bounce, no source IP.
    `rb,${t(7)},,bounce@bounce.com,lk@somedomain.com,,,5.1.1 (bad destination mailbox address),"smtp;550 5.1.1 no such local recipient: <lk@somedomain.com> in ""RCPT TO:<lk@somedomain.com>""",mail.remotedomain.com (169.3.169.30),bad-mailbox,smtp,,,,,,,,,,,,my.local.server.com`,
    '',
  ];
  return lines.join(eol);
}

for (const [bin, flags] of AWKS) {
  describe(`accounting failures in ${[bin, ...flags].join(' ')}`, () => {
    for (const eol of ['\n', '\r\n']) {
      it(`splits b by bounceCat and DSN status, counts tq and rb apart from d/t/b, per IP and domain (${eol === '\n' ? 'LF' : 'CRLF'})`, () => {
        const file = join(dir, `f-${bin}-${flags.length}-${eol.length}.csv`);
        writeFileSync(file, fixture(eol));
        const f = facts(bin, flags, file);
        // tq and rb are not d/t/b records: they neither count nor move the window.
        expect(f.records).toBe(5);
        expect(f.until).toBe('2026-11-27 10:05:00+0000');
        const c = (delivered: number, deferred: number, bounced: number, policy = 0, queueFailures = 0) => ({ delivered, deferred, bounced, policy, queueFailures });
        expect(f.byIpDomain['203.0.113.2']).toEqual({ 'hotmail.com': c(0, 0, 1, 1), 'outlook.com': c(0, 0, 1, 1) });
        expect(f.byIpDomain['203.0.113.1']).toEqual({ 'hotmail.com': c(1, 0, 0), 'yahoo.com': c(0, 1, 0) });
        // A tq record counts for its IP and queue domain as a queue failure only.
        expect(f.byIpDomain['203.0.113.4']).toEqual({ 'xn--bcher-kva.de': c(0, 0, 0, 0, 1) });
        const block = 'smtp;550 5.7.1 Unfortunately, messages from [<ip>] weren\'t s';
        const yahoo = 'smtp;421 4.7.0 [TSS04] Messages from <ip> temporarily deferr';
        expect(f.failures).toEqual(
          expect.arrayContaining([
            { type: 'b', domain: 'hotmail.com', bounceCat: 'policy-related', dsnStatus: '5.7.1', pattern: block, count: 1 },
            { type: 'b', domain: 'outlook.com', bounceCat: 'policy-related', dsnStatus: '5.7.1', pattern: block, count: 1 },
            // One Yahoo error on two IPs is one group.
            { type: 't', domain: 'yahoo.com', bounceCat: 'policy-related', dsnStatus: '4.7.0', pattern: yahoo, count: 2 },
            { type: 'tq', domain: 'xn--bcher-kva.de', bounceCat: '', dsnStatus: '4.4.1', pattern: '', count: 1 },
            { type: 'rb', domain: 'somedomain.com', bounceCat: 'bad-mailbox', dsnStatus: '5.1.1', pattern: 'smtp;550 5.1.1 no such local recipient: <addr> in "RCPT TO:<', count: 1 },
          ]),
        );
        expect(f.failures).toHaveLength(5);
        // One Yahoo error on two IPs is one diagnostic group.
        expect(f.topDiagnostics.filter((d) => d.domain === 'yahoo.com')).toEqual([{ domain: 'yahoo.com', pattern: yahoo, count: 2 }]);
        expect(f.mxHosts['hotmail.com']).toBe('hotmail-com.olc.protection.outlook.com');
        expect(f.mxHosts['yahoo.com']).toBe('mta5.am0.yahoodns.net');
      });
    }

    it('groups dsnDiag texts on the host exactly as the runner normalises them (addresses, URLs, reply codes)', () => {
      // The host replaces addresses after the reply code before it prints a group; the
      // runner's pattern of that must be the runner's pattern of the text as logged.
      const texts = [
        ...sampleTexts().texts,
        'smtp;550 5.1.1 <bob.smith@example.com>: Recipient address rejected: User unknown',
        '554 delivery error: dd This user doesn\'t have a yahoo.com account (jane77@yahoo.com) [0] - mta1.mail.example',
        '550 5.1.1a@b.example no separator after the status',
        '550-a@b.example dash then address',
        'smtp;550 see https://user@portal.example/x?to=<c@d.example> for help',
        'smtp;550 <a@b.example> <c@d.example> a]b@c.example "e@f.example" (g@h.example)',
        '@lonely at start and trailing@',
        'smtp;552 5.2.2 Mailbox full: <zoë@bücher.example> über Quota, Grüße',
        `smtp;550 5.1.1 <${'x'.repeat(80)}@cut.example>: the address runs past 100 bytes`,
      ];
      const header = 'type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,srcMta,dlvType,dlvSourceIp';
      const csv = (v: string) => `"${v.replace(/"/g, '""')}"`;
      const lines = [header, ...texts.map((text, i) => `t,2026-11-27 10:00:${String(i).padStart(2, '0')}+0000,,b@x.example,u${i}@d${i}.example,,delayed,4.0.0,${csv(text)},mx (192.0.2.1),,smtp,h,smtp,203.0.113.1`)];
      const file = join(dir, `diag-${bin}-${flags.length}.csv`);
      writeFileSync(file, lines.join('\n') + '\n');
      const f = facts(bin, flags, file);
      // The host takes the first 100 bytes of dsnDiag; the runner normalises them.
      const first100 = (t: string) => Buffer.from(t, 'utf8').subarray(0, 100).toString('utf8');
      for (const [i, text] of texts.entries()) {
        expect(f.topDiagnostics.filter((d) => d.domain === `d${i}.example`), text).toEqual([{ domain: `d${i}.example`, pattern: diagPattern(first100(text)), count: 1 }]);
      }
    });
  });
}

/** Texts from UG §11.2 samples and the corpus's ISP deferral texts (read when the corpus is there). */
function sampleTexts(): { texts: string[]; corpus: boolean } {
  const texts = [
    'smtp;554 5.7.1 Denied - Spam Suspected - http://www.w357sfhsjhf873.net/services/spamwatch/blocked.php',
    'smtp;421 4.7.0 mx002.roc2.bluetie.com Error: too many errors',
    'smtp;250 DATA ok',
    'smtp;550 5.1.1 no such local recipient: <lksjflkj@somedomain.com> in "RCPT TO:<lksjflkj@somedomain.com>"',
    'smtp;421 4.7.0 Try again later, 2001:db8::1 said so; queue id x5si1234567qkb.12 - gsmtp',
  ];
  const path = join(__dirname, '..', '..', '..', '..', 'shared', 'corpus', 'powermta', 'logs', 'isp-deferral-texts.txt');
  if (!existsSync(path)) return { texts, corpus: false };
  const corpus = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  return { texts: [...texts, ...corpus], corpus: true };
}

describe('dsnDiag normaliser', () => {
  it('turns IPs, ids, numbers, addresses and URLs into placeholders and keeps the codes that name the error', () => {
    // The task's two ISP texts (Microsoft S3150, Yahoo TSS04) with different IPs: one group each.
    const ms = (ip: string) => `smtp;550 5.7.1 Unfortunately, messages from [${ip}] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).`;
    expect(normaliseDiag(ms('203.0.113.7'))).toBe(normaliseDiag(ms('198.51.100.200')));
    expect(normaliseDiag(ms('203.0.113.7'))).toContain('(S3150).');
    expect(normaliseDiag(tss04('203.0.113.9'))).toBe('smtp;421 4.7.0 [TSS04] Messages from <ip> temporarily deferred due to unexpected volume or user complaints - <ip>; see <url>');
    expect(normaliseDiag('smtp;550 5.1.1 <abc123@hotmail.com>: Recipient address rejected')).toBe('smtp;550 5.1.1 <addr>: Recipient address rejected');
    expect(normaliseDiag('421-4.7.28 [192.0.2.13 15] Our system')).toBe('421-4.7.28 [<ip> <n>] Our system');
    expect(diagPattern(ms('203.0.113.7'))).toBe('smtp;550 5.7.1 Unfortunately, messages from [<ip>] weren\'t s');
  });

  it('groups the Guide (UG §11.2) and corpus texts the same whatever IP, id or recipient they name', () => {
    const { texts, corpus } = sampleTexts();
    if (!corpus) console.log('corpus isp-deferral-texts.txt not found: checked the Guide samples only');
    const vary = (t: string) => t.replace(/192\.0\.2\.1\d/g, '198.51.100.234').replace(/lksjflkj/g, 'someone.else').replace(/x5si1234567qkb\.12/, 'a9zz7654321abc.99');
    for (const t of texts) expect(diagPattern(vary(t))).toBe(diagPattern(t));
    expect(texts.map(diagPattern)).toEqual([
      'smtp;554 5.7.1 Denied - Spam Suspected - <url>',
      'smtp;421 4.7.0 <id> Error: too many errors',
      'smtp;250 DATA ok',
      'smtp;550 5.1.1 no such local recipient: <addr> in "RCPT TO:<',
      'smtp;421 4.7.0 Try again later, <ip> said so; queue id <id> ',
      ...(corpus
        ? [
            '421-4.7.28 [<ip> <n>] Our system has detected an unusual rat',
            '421 4.7.0 [TSS04] Messages from <ip> temporarily deferred du',
            "550 5.7.1 Unfortunately, messages from [<ip>] weren't sent. ",
          ]
        : []),
    ]);
  });
});
