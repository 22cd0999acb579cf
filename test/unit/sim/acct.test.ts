import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
// @ts-expect-error plain .mjs asset without type declarations
import { acctRecord, acctHeaderLine, csvLine, ACCT_HEADER, isoTime } from '../../../src/lab/assets/lib/acct.mjs';

const base = {
  timeLogged: Date.UTC(2026, 10, 28, 12, 0, 5),
  timeQueued: Date.UTC(2026, 10, 28, 12, 0, 1),
  orig: 'bounce@news.example.org',
  rcpt: 'alice@gmail.com',
  mxHost: 'gmail-smtp-in.l.google.com',
  mxIp: '192.0.2.26',
  sourceIp: '203.0.113.7',
  size: 4096,
  vmta: 'vmta3',
  jobId: 'job1',
  domain: 'gmail.com',
  pool: 'default',
  hostName: 'h1.lab.example',
};

describe('accounting CSV', () => {
  it('writes the UG default header', () => {
    expect(acctHeaderLine()).toBe('type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,vmta,jobId,envId,queue,vmtaPool\n');
  });

  it('round-trips d, t and b records through csv-parse by header name', () => {
    const diag = 'smtp;421 4.7.0 [203.0.113.7] Our system has detected an unusual rate of unsolicited mail, "quoted"';
    const text =
      acctHeaderLine() +
      acctRecord({ ...base, type: 'd', status: '2.0.0', diag: 'smtp;250 2.0.0 OK' }) +
      acctRecord({ ...base, type: 't', status: '4.7.0', diag, bounceCat: 'policy-related' }) +
      acctRecord({ ...base, type: 'b', status: '5.1.1', diag: 'smtp;550 5.1.1 <alice@gmail.com>: user unknown', bounceCat: 'bad-mailbox' });
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ type: 'd', dsnAction: 'relayed', dlvEsmtpAvailable: 'ENHANCEDSTATUSCODES,8BITMIME,SMTPUTF8,PIPELINING,SIZE', dlvSourceIp: '203.0.113.7', vmta: 'vmta3', queue: 'gmail.com/vmta3', timeLogged: '2026-11-28 12:00:05+0000', dlvSize: '4096' });
    expect(rows[1]).toMatchObject({ type: 't', dsnAction: 'delayed', dsnDiag: diag, bounceCat: 'policy-related', dsnStatus: '4.7.0 (other or undefined security status)' });
    expect(rows[2]).toMatchObject({ type: 'b', dsnAction: 'failed', bounceCat: 'bad-mailbox' });
    // The esmtp field is quoted in the raw line (the article's awk -F, miscounts such lines).
    expect(text.split('\n')[1]).toContain('"ENHANCEDSTATUSCODES,8BITMIME,SMTPUTF8,PIPELINING,SIZE"');
  });

  it('quotes any field so csv-parse returns it unchanged', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 6 }), (fields) => {
        const parsed = parse(csvLine(fields), { relax_column_count: true }) as string[][];
        expect(parsed[0]).toEqual(fields);
      }),
    );
  });

  it('has one column per header name and ISO times with offset', () => {
    const line = acctRecord({ ...base, type: 'd', status: '2.0.0', diag: 'smtp;250 ok' });
    expect((parse(line) as string[][])[0]).toHaveLength(ACCT_HEADER.length);
    expect(isoTime(0)).toBe('1970-01-01 00:00:00+0000');
  });
});
