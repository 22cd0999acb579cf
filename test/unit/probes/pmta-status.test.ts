import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDomainListing, parseQueueListing } from '../../../src/probes/pmta-listings.js';
import { emptyStatus, mergeHttpStatus, parsePmtaStatusOutput, parseShowStatus, parseShowVmtas, unlistedBusyDomains } from '../../../src/probes/pmta-status.js';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/probes/${name}`, import.meta.url), 'utf8');
const sub = (name: string, text: string, rc = 0): string => `@@mtafleet-sub ${name}\n${text}\n@@mtafleet-rc ${name} ${rc}\n`;
const run = (stdout: string) => {
  const r = parsePmtaStatusOutput({ stdout, stderr: '', exitCode: 0 });
  if (r.status !== 'ok') throw new Error(`unexpected ${r.status}`);
  return r;
};
/** The probe needs one status source answering; the UG §6.3.16 sample gives one. */
const STATUS = (): string => sub('status', fixture('pmta-show-status.txt'));

// UG §6.3.13 `pmta show queue` sample (verbatim, two of its six event lines).
const UG_SHOW_QUEUE = `queue           #rcpt kbytes conn st    retry last error
--------------- ----- ------ ---- -- -------- ----------
*/*
example.com/vmta1   2    0.2    0    09:35:42

Recipient Events (deliveries:4, bounces:1, deferrals:1)
-------------------------------------------------------
delivered | 2014-11-24 09:35:09 | 10.25.25.235 | kf@example.com | jobid10145783566176 | [192.168.10.48] (192.168.10.48) | smtp;250 DATA ok
bounced | 2014-11-24 09:36:09 | 10.25.25.235 | vc@example.com | jobid8363372138340 | [192.168.10.48] (192.168.10.48) | smtp;550 5.0.0 (undefined status);smtp;550 No Such User Here3 of 3 matching queues.`;

describe('show domains / topdomains listings', () => {
  it('UG §6.3.12: reads the 20 rows and the footer "20 of 30 domains shown."', () => {
    const warnings: string[] = [];
    const listing = parseDomainListing(fixture('pmta-show-domains.txt'), 'x', warnings);
    expect(warnings).toEqual([]);
    expect(listing.rows.map((r) => r.domain).slice(0, 3)).toEqual(['test1.port25.com', 'test10.port25.com', 'test11.port25.com']);
    expect(listing.rows.find((r) => r.domain === 'test16.port25.com')?.rcpts).toBe(52);
    expect([listing.shown, listing.total]).toEqual([20, 30]);
  });

  it('the probe warns, naming itself and the footer, when the topdomains listing is truncated', () => {
    const r = run(STATUS() + sub('domains', fixture('pmta-show-domains.txt')));
    expect(r.facts.domainsListed).toEqual({ shown: 20, total: 30 });
    expect(r.warnings).toContainEqual(expect.stringMatching(/^pmta-status: pmta show topdomains --maxitems=200: listing truncated \("20 of 30 domains shown"\)/));
  });

  it('a complete listing gives no truncation warning', () => {
    const text = fixture('pmta-show-domains.txt').replace('20 of 30 domains shown.', '20 of 20 domains shown.');
    expect(run(STATUS() + sub('domains', text)).warnings.filter((w) => /truncated/.test(w))).toEqual([]);
  });

  it('a listing without its footer (empty answer, unknown layout) is a warning, not a silent empty list', () => {
    expect(run(STATUS() + sub('domains', '')).warnings).toEqual(['pmta-status: pmta show topdomains --maxitems=200: no "N of M domains shown." footer: 0 rows read, completeness unknown']);
  });

  it('adds config-named domains read one by one, without duplicating listed ones', () => {
    const one = '-----------------------------domain --#rcpt ---kbytes conn last error----------\n                          gmail.com    2000    8000.0    8 421 4.7.0 [203.0....\n\n1 of 300 domains shown.';
    const again = '-----------------------------domain --#rcpt ---kbytes conn last error----------\n                  test1.port25.com       7      30.6    0\n\n1 of 30 domains shown.';
    const r = run(STATUS() + sub('domains', fixture('pmta-show-domains.txt')) + sub('domain:gmail.com', one) + sub('domain:test1.port25.com', again));
    expect(r.facts.domains).toHaveLength(21);
    expect(r.facts.domains[20]).toMatchObject({ domain: 'gmail.com', rcpts: 2000, connections: 8 });
  });

  it('--errors layout (as corpus ug50-show-domains-errors.txt, attributed to a UG §4 example: unaligned row, error lines, footer) keeps the errors with the row', () => {
    const text = '-----------------------------domain --#rcpt ---kbytes conn last error----------\nexample.org 4 0.5 0 ETIMEDOUT connect...\n\n2003-06-19 16:40:10 ETIMEDOUT connecting to mail.example.org (192.0.2.1)\n2003-06-19 16:41:10 ETIMEDOUT connecting to mail.example.org (192.0.2.1)\n\n1 of 10 domains shown.\n';
    const warnings: string[] = [];
    const listing = parseDomainListing(text, 'x', warnings);
    expect(warnings).toEqual([]);
    expect(listing.rows).toEqual([
      { domain: 'example.org', rcpts: 4, kbytes: 0.5, connections: 0, lastError: 'ETIMEDOUT connect...', errors: ['2003-06-19 16:40:10 ETIMEDOUT connecting to mail.example.org (192.0.2.1)', '2003-06-19 16:41:10 ETIMEDOUT connecting to mail.example.org (192.0.2.1)'] },
    ]);
    expect([listing.shown, listing.total]).toEqual([1, 10]);
  });

  it('an unknown line is a warning naming the probe, command and line number', () => {
    const warnings: string[] = [];
    parseDomainListing('-----------------------------domain --#rcpt ---kbytes conn last error----------\nDomain gmail.com: 12 rcpts\n', 'pmta-status: pmta show topdomains', warnings);
    expect(warnings).toEqual(['pmta-status: pmta show topdomains line 2: unrecognised: Domain gmail.com: 12 rcpts']);
  });
});

describe('cross-check with accounting', () => {
  const counts = (n: number) => ({ delivered: n, deferred: 0, bounced: 0 });
  const byDomain = { 'gmail.com': counts(900), 'hotmail.com': counts(400), 'tiny.example': counts(3), 'test1.port25.com': counts(80) };

  it('names the busy accounting domains a truncated listing left out, busiest first', () => {
    const status = { domains: [{ domain: 'test1.port25.com', rcpts: 7, kbytes: 1, connections: 0, lastError: '' }], domainsListed: { shown: 20, total: 30 } };
    expect(unlistedBusyDomains(status, byDomain)).toEqual([
      'pmta-status: busy in accounting but not in the 20 of 30 domains listed (fewer queued recipients, or none): gmail.com (900 records), hotmail.com (400 records); their connections were not read',
    ]);
  });

  it('says nothing when the listing was complete or nothing busy is missing', () => {
    expect(unlistedBusyDomains({ domains: [], domainsListed: { shown: 30, total: 30 } }, byDomain)).toEqual([]);
    expect(unlistedBusyDomains({ domains: [], domainsListed: { shown: 20, total: 30 } }, { 'tiny.example': counts(3) })).toEqual([]);
    expect(unlistedBusyDomains(undefined, byDomain)).toEqual([]);
  });
});

describe('show queues (UG §6.3.13)', () => {
  it('reads the sample: one queue row, events skipped, footer glued to the last event', () => {
    const warnings: string[] = [];
    const listing = parseQueueListing(UG_SHOW_QUEUE, 'x', warnings);
    expect(warnings).toEqual([]);
    expect(listing.rows).toEqual([{ queue: 'example.com/vmta1', domain: 'example.com', vmta: 'vmta1', rcpts: 2, kbytes: 0.2, connections: 0, retry: '09:35:42', lastError: '' }]);
    expect([listing.shown, listing.total]).toEqual([3, 3]);
  });

  it('the probe reports queues in backoff mode as facts', () => {
    const backoff = 'queue           #rcpt kbytes conn st    retry last error\n--------------- ----- ------ ---- -- -------- ----------\n*/*\nyahoo.com/vmta2   120    480.0    1    09:35:42 421 4.7.0 [TSS04] Mes...\n\n1 of 1 matching queues.';
    const r = run(STATUS() + sub('backoff', backoff));
    expect(r.facts.backoffQueues).toEqual([{ queue: 'yahoo.com/vmta2', domain: 'yahoo.com', vmta: 'vmta2', rcpts: 120, kbytes: 480, connections: 1, retry: '09:35:42', lastError: '421 4.7.0 [TSS04] Mes...' }]);
  });
});

describe('status sources that yield no numbers or an unknown version', () => {
  it('JSON without data.status (the old fallback shape) is refused with a warning, never a silent zero', () => {
    const warnings: string[] = [];
    const flat = JSON.stringify({ data: { traffic: { lastHr: { out: { msg: 5 } } } }, status: 'success' });
    expect(mergeHttpStatus(flat, emptyStatus(), warnings)).toBe(false);
    expect(warnings).toEqual(['pmta-status: HTTP status: JSON without a "data.status" node (data has: traffic); counters not read']);
  });

  it('a JSON error envelope is a warning', () => {
    const warnings: string[] = [];
    expect(mergeHttpStatus('{"data":{},"status":"error","message":"access denied"}', emptyStatus(), warnings)).toBe(false);
    expect(warnings[0]).toMatch(/answer status "error": access denied/);
  });

  it('a status text with only a header is ok but warned as giving no counters', () => {
    const r = run(sub('status', 'PowerMTA v5.0 status on h on 2018-09-10 10:16:19\n'));
    expect(r.warnings).toContainEqual('pmta-status: cli answered but gave no traffic, connection or queue counters');
  });

  it('an unknown version is a warning; the UG §6.3.16 sample (v5.0) is not', () => {
    expect(run(sub('status', fixture('pmta-show-status.txt'))).warnings).toEqual([]);
    const v7 = fixture('pmta-show-status.txt').replace('PowerMTA v5.0 status', 'PowerMTA v7.2 status');
    expect(run(sub('status', v7)).warnings).toEqual(['pmta-status: PowerMTA version v7.2 is not one whose formats mtafleet knows (4.x, 5.x): figures may be misread']);
  });
});

// Real-world samples (../shared/corpus, see its README): read when present, skipped otherwise.
const CORPUS = new URL('../../../../shared/corpus/powermta/status/', import.meta.url);
const corpus = (name: string): string => readFileSync(new URL(name, CORPUS), 'utf8');
const haveCorpus = existsSync(CORPUS);
if (!haveCorpus) console.log(`corpus not found at ${CORPUS.pathname}: skipping the corpus checks`);

describe.skipIf(!haveCorpus)('corpus powermta/status (SOURCES.md readings)', () => {
  it('ug50-show-status.txt: outbound last hour 939263, 10000 of 10000 connections, 99459 rcpts / 2895 domains', () => {
    const facts = emptyStatus();
    const warnings: string[] = [];
    parseShowStatus(corpus('ug50-show-status.txt'), facts, warnings);
    expect(warnings).toEqual([]);
    expect(facts.traffic.lastHour?.out.msgs).toBe(939263);
    expect(facts.traffic.lastMin?.out.msgs).toBe(45021);
    expect(facts.connections.smtpOut).toEqual({ active: 10000, top: 10000, max: 10000 });
    expect(facts.queue.smtp).toMatchObject({ rcpts: 99459, domains: 2895 });
    expect(facts.spool.filesInUse).toBe(5667);
  });

  it('ug50-status.json: counters under data.status', () => {
    const r = run(sub('http', corpus('ug50-status.json')));
    expect(r.facts.sources).toEqual(['http']);
    expect(r.facts.deliveredLastHour).toBe(348704);
    expect(r.facts.connections.smtpOut).toMatchObject({ active: 0, max: 1200 });
    expect(r.facts.queue.smtp?.rcpts).toBe(805);
    expect(r.facts.spool.filesInUse).toBe(504);
    expect(r.warnings).toEqual([]);
  });

  it('ug50-show-vmtas.txt: 7 vmtas, vmta572 13 domains 18 rcpts 16 conns', () => {
    const warnings: string[] = [];
    const vmtas = parseShowVmtas(corpus('ug50-show-vmtas.txt'), warnings);
    expect(warnings).toEqual([]);
    expect(vmtas).toHaveLength(7);
    expect(vmtas[0]).toEqual({ name: 'vmta572', domains: 13, rcpts: 18, kbytes: 0.1, connections: 16 });
  });

  it('ug50-show-domains.txt: only 20 of 30 listed, truncation warned', () => {
    const r = run(STATUS() + sub('domains', corpus('ug50-show-domains.txt')));
    expect(r.facts.domains).toHaveLength(20);
    expect(r.facts.domainsListed).toEqual({ shown: 20, total: 30 });
    expect(r.facts.domains.find((d) => d.domain === 'test18.port25.com')?.lastError).toBe('ETIMEDOUT connect...');
    expect(r.warnings.some((w) => /truncated \("20 of 30 domains shown"\)/.test(w))).toBe(true);
  });

  it('ug50-show-domains-errors.txt: one row, its error lines, "1 of 10 domains shown."', () => {
    const warnings: string[] = [];
    const listing = parseDomainListing(corpus('ug50-show-domains-errors.txt'), 'x', warnings);
    expect(warnings).toEqual([]);
    expect(listing.rows).toHaveLength(1);
    expect(listing.rows[0]).toMatchObject({ domain: 'port25.com', rcpts: 4, connections: 0 });
    expect(listing.rows[0].errors).toHaveLength(3);
    expect([listing.shown, listing.total]).toEqual([1, 10]);
  });

  it('ug50-show-queue.txt: example.com/vmta1 2 rcpts, retry 09:35:42', () => {
    const warnings: string[] = [];
    const listing = parseQueueListing(corpus('ug50-show-queue.txt'), 'x', warnings);
    expect(warnings).toEqual([]);
    expect(listing.rows).toEqual([expect.objectContaining({ queue: 'example.com/vmta1', rcpts: 2, connections: 0, retry: '09:35:42' })]);
  });
});
