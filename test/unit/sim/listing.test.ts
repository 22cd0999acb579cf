import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs asset without type declarations
import { parseShowArgs, selectRows, nameMatcher } from '../../../src/lab/assets/lib/listing.mjs';
// @ts-expect-error plain .mjs asset without type declarations
import { renderDomains, renderQueues, renderVmtas } from '../../../src/lab/assets/lib/render.mjs';
// @ts-expect-error plain .mjs asset without type declarations
import { domainSelection } from '../../../src/lab/assets/lib/snapshot.mjs';
// @ts-expect-error plain .mjs asset without type declarations
import { runPmta } from '../../../src/lab/assets/lib/pmta-cli.mjs';
import { parseDomainListing, parseQueueListing } from '../../../src/probes/pmta-listings.js';

const probeFixture = (name: string) => readFileSync(new URL(`../../fixtures/probes/${name}`, import.meta.url), 'utf8');

interface Row {
  name: string;
  rcpt: number;
  kb: number;
  conn: number;
  lastError: string;
}

/** The 30 domains behind the UG §6.3.12 sample (test1..test30; the 10 not shown get 3 rcpts). */
function ugDomains(): Row[] {
  const rcpt: Record<number, number> = { 1: 7, 10: 8, 12: 13, 16: 52 };
  return Array.from({ length: 30 }, (_, i) => i + 1)
    .reverse()
    .map((n) => ({ name: `test${n}.port25.com`, rcpt: rcpt[n] ?? 3, kb: 30.6, conn: 0, lastError: n === 18 ? 'ETIMEDOUT connecting to test18.port25.com' : '' }));
}

describe('show domains selection (UG §6.3.12)', () => {
  it('default: 20 rows in name order with the footer, exactly the UG sample', () => {
    const { rows, total } = selectRows(ugDomains(), (d: Row) => d.name, {});
    expect(renderDomains(rows, { total })).toBe(probeFixture('pmta-show-domains.txt'));
  });

  it('--sort=rcpt (= show topdomains, UG §6.3.17) and --maxitems', () => {
    const { rows, total } = selectRows(ugDomains(), (d: Row) => d.name, { sort: 'rcpt', maxitems: 3 });
    expect(rows.map((r: Row) => r.name)).toEqual(['test16.port25.com', 'test12.port25.com', 'test10.port25.com']);
    expect(total).toBe(30);
    const listing = parseDomainListing(renderDomains(rows, { total }), 'x', []);
    expect([listing.shown, listing.total]).toEqual([3, 30]);
  });

  it('a name or wildcard argument and --connected filter before the limit', () => {
    const rows = ugDomains();
    rows[0].conn = 2;
    expect(selectRows(rows, (d: Row) => d.name, { filter: (d: Row) => nameMatcher('test2*')(d.name) }).total).toBe(11);
    expect(selectRows(rows, (d: Row) => d.name, { connected: 'yes' }).rows.map((r: Row) => r.name)).toEqual(['test30.port25.com']);
    expect(nameMatcher('gmail.com')('GMAIL.com')).toBe(true);
    expect(nameMatcher('gmail.com')('gmailxcom')).toBe(false);
  });

  it('a named domain is shown "1 of <all queued> domains" as in the UG `show dom port25.com --errors` example', () => {
    const ctx = { engine: { domainRows: () => ugDomains() } };
    const one = domainSelection(ctx, { name: 'test18.port25.com' });
    expect(one.rows.map((r: Row) => r.name)).toEqual(['test18.port25.com']);
    expect(one.total).toBe(30);
    expect(domainSelection(ctx, { top: true, opts: { maxitems: 1 } }).rows[0].name).toBe('test16.port25.com');
  });

  it('--errors: the row unaligned, its recorded errors, the footer (layout of corpus ug50-show-domains-errors.txt, attributed to a UG §4 example)', () => {
    const at = new Date('2003-06-19T16:40:10Z').getTime();
    const text = renderDomains([{ name: 'port25.com', rcpt: 4, kb: 0.5, conn: 0, lastError: 'ETIMEDOUT connecting to mail.port25.com (193.96.192.241)', errors: [{ at, text: 'ETIMEDOUT connecting to mail.port25.com (193.96.192.241)' }] }], { total: 10, errors: true });
    expect(text.split('\n').slice(0, 3)).toEqual(['-----------------------------domain --#rcpt ---kbytes conn last error----------', 'port25.com 4 0.5 0 ETIMEDOUT connect...', '']);
    expect(text).toMatch(/\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ETIMEDOUT connecting to mail\.port25\.com \(193\.96\.192\.241\)\n\n1 of 10 domains shown\.\n$/);
  });
});

describe('show queues layout (UG §6.3.13)', () => {
  it('renders the sample row column for column and the footer', () => {
    const retryAt = new Date('2014-11-24T09:35:42').getTime();
    const text = renderQueues([{ domain: 'example.com', vmta: 'vmta1', rcpt: 2, kb: 0.2, conn: 0, mode: 'normal', retryAt, lastError: '' }], { total: 3 });
    expect(text.split('\n').slice(0, 4)).toEqual([
      'queue           #rcpt kbytes conn st    retry last error',
      '--------------- ----- ------ ---- -- -------- ----------',
      '*/*',
      'example.com/vmta1   2    0.2    0    09:35:42',
    ]);
    const listing = parseQueueListing(text, 'x', []);
    expect(listing.rows[0]).toMatchObject({ queue: 'example.com/vmta1', rcpts: 2, retry: '09:35:42' });
    expect([listing.shown, listing.total]).toEqual([1, 3]);
  });

  it('a backoff queue shows its mode in the st column', () => {
    const text = renderQueues([{ domain: 'yahoo.com', vmta: 'vmta2', rcpt: 120, kb: 480, conn: 1, mode: 'backoff', retryAt: null, lastError: '421 4.7.0 [TSS04] Messages from 203.0.113.2 deferred' }]);
    expect(text.split('\n')[3]).toBe('yahoo.com/vmta2   120  480.0    1 bo          421 4.7.0 [TSS04]...');
  });
});

describe('show vmtas (UG §6.3.20)', () => {
  it('footer counts every vMTA while --maxitems cuts the rows', () => {
    expect(renderVmtas([{ name: 'vmta572', domains: 13, rcpt: 18, kb: 0.1, conn: 16 }], 7).split('\n')).toContain('1 of 7 virtual MTAs.');
  });
});

describe('pmta CLI options (UG §6.3 syntax lines)', () => {
  it('accepts the documented options and parses values', () => {
    expect(parseShowArgs('domains', ['--maxitems=5', '--sort=rcpt', '--errors', 'gmail.com'])).toEqual({ opts: { maxitems: 5, sort: 'rcpt', errors: true }, name: 'gmail.com' });
    expect(parseShowArgs('queues', ['--mode=backoff', '--no-rcpt-events'])).toEqual({ opts: { mode: 'backoff', 'no-rcpt-events': true }, name: undefined });
  });

  it('refuses what the UG does not list for the command, before asking the daemon', async () => {
    expect(parseShowArgs('topdomains', ['--sort=rcpt']).error).toMatch(/unknown option "--sort" for show topdomains/);
    expect(parseShowArgs('domains', ['--sort=age']).error).toMatch(/--sort must be one of name, rcpt, size/);
    expect(parseShowArgs('domains', ['--maxitems=0']).error).toMatch(/positive/);
    const reply = await runPmta(['show', 'domains', '--mode=backoff']);
    expect(reply).toMatchObject({ code: 1, out: '' });
    expect(reply.err).toMatch(/^pmta: unknown option "--mode" for show domains\n/);
  });
});
