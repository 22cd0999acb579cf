import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parsePmtaConfig, resolveIncludes } from '../../../src/pmta/config.js';
import { effectiveSettings } from '../../../src/pmta/settings.js';
import { connectionCeiling, domainSetting, matchScore, queueFor, queueMaxSmtpOut } from '../../../src/pmta/effective.js';

function settingsOf(text: string, file = '/etc/pmta/config') {
  return effectiveSettings(parsePmtaConfig(text, file).nodes);
}

describe('domain patterns (UG §3.3.10, <domain> wildcards)', () => {
  it('exact beats the longest suffix, which beats *; *.x does not match x itself, [*.]x does', () => {
    expect(matchScore('gmail.com', 'gmail.com')).toBeGreaterThan(matchScore('[*.]gmail.com', 'gmail.com')!);
    expect(matchScore('*.example.com', 'example.com')).toBeNull();
    expect(matchScore('*.example.com', 'a.b.example.com')).not.toBeNull();
    expect(matchScore('[*.]port25.com', 'port25.com')).not.toBeNull();
    expect(matchScore('[*.]port25.com', 'test1.port25.com')).not.toBeNull();
    expect(matchScore('[*.]port25.com', 'notport25.com')).toBeNull();
    expect(matchScore('*.mail.example.com', 'x.mail.example.com')!).toBeGreaterThan(matchScore('*.example.com', 'x.mail.example.com')!);
    expect(matchScore('*', 'anything.org')).toBe(0);
  });

  it('most specific wins whatever the order of the blocks', () => {
    const s = settingsOf(`<domain gmail.com>\nmax-smtp-out 4\n</domain>\n<domain [*.]gmail.com>\nmax-smtp-out 9\n</domain>\n<domain *>\nmax-smtp-out 30\n</domain>\n`);
    expect(queueMaxSmtpOut(s, 'gmail.com')).toEqual({ value: 4, at: '/etc/pmta/config:2', source: '<domain gmail.com> max-smtp-out' });
    expect(queueMaxSmtpOut(s, 'mx.gmail.com').value).toBe(9);
    expect(queueMaxSmtpOut(s, 'other.org')).toMatchObject({ value: 30, at: '/etc/pmta/config:8' });
  });

  it('a pool <domain *> default does not override a global <domain gmail.com> (POWERMTA.md lab layout)', () => {
    const s = settingsOf(`<virtual-mta v1>\nsmtp-source-host 192.0.2.1 a\n</virtual-mta>\n<virtual-mta-pool p>\nvirtual-mta v1\n<domain *>\nmax-smtp-out 20\n</domain>\n</virtual-mta-pool>\n<domain gmail.com>\nmax-smtp-out 8\n</domain>\n`);
    expect(queueMaxSmtpOut(s, 'gmail.com', 'v1')).toMatchObject({ value: 8, at: '/etc/pmta/config:11' });
    expect(queueMaxSmtpOut(s, 'yahoo.com', 'v1')).toMatchObject({ value: 20, source: '<domain *> in <virtual-mta-pool p> max-smtp-out' });
  });

  it('the same pattern written twice is one rule; the later directive wins', () => {
    const s = settingsOf(`<domain a.com>\nmax-smtp-out 3\nretry-after 5m\n</domain>\n<domain a.com>\nmax-smtp-out 4\n</domain>\n`);
    expect(s.rules).toHaveLength(1);
    expect(queueMaxSmtpOut(s, 'a.com')).toMatchObject({ value: 4, at: '/etc/pmta/config:6' });
    expect(domainSetting(s, 'a.com', 'retry-after')).toMatchObject({ value: '5m', at: '/etc/pmta/config:3' });
  });

  it('evidence quotes host text cut at 100 characters', () => {
    const long = `${'a'.repeat(300)}.com`;
    const s = settingsOf(`<domain ${long}>\nmax-smtp-out 3\n</domain>\n`);
    expect(queueMaxSmtpOut(s, long).source).toBe(`<domain ${'a'.repeat(100)}…> max-smtp-out`);
  });

  it('without any block the PowerMTA default 20 applies, and says so', () => {
    expect(queueMaxSmtpOut(settingsOf('log-file /var/log/pmta/log\n'), 'gmail.com')).toEqual({ value: 20, at: 'PowerMTA default', source: 'default max-smtp-out' });
  });

  it('a pattern it cannot read and an undefined macro are warnings naming file and line, not silent defaults', () => {
    const s = settingsOf(`<domain gm*il.com>\nmax-smtp-out 3\n</domain>\n<domain $nope>\nmax-smtp-out 2\n</domain>\n<domain x.com>\nmax-smtp-out many\n</domain>\n`);
    expect(s.warnings).toEqual([
      expect.stringMatching(/^\/etc\/pmta\/config:1: <domain gm\*il\.com> pattern "gm\*il\.com" not understood/),
      expect.stringMatching(/^\/etc\/pmta\/config:4: <domain \$nope> uses macro \$nope, which no domain-macro defines/),
      expect.stringMatching(/^\/etc\/pmta\/config:8: max-smtp-out "many" is not a number/),
    ]);
    expect(s.rules.map((r) => r.pattern)).toEqual(['x.com']);
  });
});

/** UG §3.3.10, its own examples: merging from general to specific, macros within macros, listed before expanded. */
describe('<domain> directives as UG §3.3.10 describes them', () => {
  it('discard.port25.com bounces after 1h, other port25.com addresses after 4d, subdomains log commands', () => {
    const s = settingsOf(`<domain discard.port25.com>\n    bounce-after 1h\n</domain>\n\n<domain *.port25.com>\n    log-commands yes\n</domain>\n\n<domain [*.]port25.com>\n    bounce-after 4d\n</domain>\n\n<domain *>\n    bounce-after 4d\n</domain>\n`);
    expect(domainSetting(s, 'discard.port25.com', 'bounce-after')?.value).toBe('1h');
    expect(domainSetting(s, 'port25.com', 'bounce-after')?.value).toBe('4d');
    expect(domainSetting(s, 'www.port25.com', 'log-commands')?.value).toBe('yes');
    expect(domainSetting(s, 'discard.port25.com', 'log-commands')?.value).toBe('yes');
    expect(domainSetting(s, 'port25.com', 'log-commands')).toBeUndefined();
  });
  it('macros within macros: tld expands to com, co.uk, com.br, org and net; a loop is a warning', () => {
    const s = settingsOf(`domain-macro com com, co.uk, com.br\ndomain-macro tld $com, org, net\n<domain x.$tld>\nmax-smtp-out 3\n</domain>\n`);
    expect(s.rules.map((r) => r.pattern)).toEqual(['x.com', 'x.co.uk', 'x.com.br', 'x.org', 'x.net']);
    const loop = settingsOf(`domain-macro a $b\ndomain-macro b $a\n`);
    expect(loop.warnings.some((w) => /domain-macro .* is a loop/.test(w))).toBe(true);
  });
  it('aol.com has a limit of 100: a listed domain wins over an expanded one written later', () => {
    const s = settingsOf(`<domain aol.com>\n    max-smtp-out 100\n</domain>\n\ndomain-macro com com, co.uk\n\n<domain aol.$com>\n    max-smtp-out 50\n</domain>\n`);
    expect(queueMaxSmtpOut(s, 'aol.com').value).toBe(100);
    expect(queueMaxSmtpOut(s, 'aol.co.uk').value).toBe(50);
  });
});

/** UG §3.3.1.33.4 domain-macro, with the §3.3.10 form `<domain yahoo.$topLevel>`. */
describe('domain-macro (UG §3.3.1.33.4, example of §3.3.10)', () => {
  const s = settingsOf(`domain-macro topLevel com, de, co.uk\ndomain-macro google gmail.com,googlemail.com\n<domain yahoo.$topLevel>\nmax-smtp-out 5\n</domain>\n<domain $google>\nmax-smtp-out 7\n</domain>\n`);
  it('expands a macro inside a name and as the whole name', () => {
    for (const d of ['yahoo.com', 'yahoo.de', 'yahoo.co.uk']) expect(queueMaxSmtpOut(s, d)).toMatchObject({ value: 5, at: '/etc/pmta/config:4' });
    expect(queueMaxSmtpOut(s, 'yahoo.fr').value).toBe(20);
    expect(queueMaxSmtpOut(s, 'googlemail.com')).toEqual({ value: 7, at: '/etc/pmta/config:7', source: '<domain $google> (googlemail.com) max-smtp-out' });
  });
});

describe('virtual-mta and pool nesting (UG §3.3.12.8, §3.3.13)', () => {
  const s = settingsOf(`<domain *>\nmax-smtp-out 20\nmax-msg-per-connection 50\n</domain>
<virtual-mta vmta1>\nsmtp-source-host 192.0.2.11 a.example\nmax-smtp-out 10\n<domain gmail.com>\nmax-smtp-out 40\n</domain>\n</virtual-mta>
<virtual-mta vmta2>\nsmtp-source-host 192.0.2.12 b.example\n</virtual-mta>
<virtual-mta-pool pool>\nvirtual-mta vmta1\nvirtual-mta vmta2\nmax-smtp-out 25\n</virtual-mta-pool>
total-max-smtp-out 5000\n`);
  it('a <domain> inside a <virtual-mta> applies to that vmta only; other directives fall through to global blocks', () => {
    expect(queueMaxSmtpOut(s, 'gmail.com', 'vmta1')).toMatchObject({ value: 40, source: '<domain gmail.com> in <virtual-mta vmta1> max-smtp-out' });
    expect(queueMaxSmtpOut(s, 'gmail.com', 'vmta2').value).toBe(20);
    expect(queueMaxSmtpOut(s, 'gmail.com').value).toBe(20);
    expect(domainSetting(s, 'gmail.com', 'max-msg-per-connection', 'vmta1')?.value).toBe('50');
  });
  it('the vmta max-smtp-out caps its queues, the pool max-smtp-out caps the pool', () => {
    const c = connectionCeiling(s, 'gmail.com', ['vmta1', 'vmta2']);
    expect(c.perVmta.map((v) => [v.vmta, v.domain.value, v.value])).toEqual([['vmta1', 40, 10], ['vmta2', 20, 20]]);
    expect(c.value).toBe(25);
    expect(c.boundBy).toMatchObject({ kind: 'pool', value: 25, source: '<virtual-mta-pool pool> max-smtp-out' });
  });
  it('§3.3.13.2: a vmta in two pools that both hold <domain> blocks is warned, naming both lines', () => {
    const t = settingsOf(`<virtual-mta-pool one>\n<domain yahoo.com>\nmax-msg-rate 10/h\n</domain>\nvirtual-mta mta1\n</virtual-mta-pool>\n<virtual-mta-pool two>\n<domain yahoo.com>\nmax-msg-rate 15/h\n</domain>\nvirtual-mta mta1\n</virtual-mta-pool>\n`);
    expect(t.warnings).toEqual([
      '/etc/pmta/config:11: virtual-mta mta1 is in <virtual-mta-pool one> (/etc/pmta/config:1) too, and both hold <domain> blocks: PowerMTA refuses this (UG §3.3.13.2)',
    ]);
  });

  it('total-max-smtp-out is the server-wide cap, told apart from the per-queue limits', () => {
    const t = settingsOf(`total-max-smtp-out 15\n<domain *>\nmax-smtp-out 10\n</domain>\n<virtual-mta a>\nsmtp-source-host 192.0.2.1 a\n</virtual-mta>\n<virtual-mta b>\nsmtp-source-host 192.0.2.2 b\n</virtual-mta>\n`);
    expect(connectionCeiling(t, 'x.org', ['a', 'b'])).toMatchObject({ value: 15, boundBy: { kind: 'total', at: '/etc/pmta/config:1' } });
  });
});

describe('rollup and queue-to (UG §10.17, §10.9)', () => {
  const s = settingsOf(`<mx-rollup-list>\nmx *.hotmail.com hotmail.rollup\n</mx-rollup-list>\n<domain hotmail.rollup>\nmax-smtp-out 6\n</domain>
<domain *.psmtp.com>\nqueue-to "psmtp.com"\n</domain>\n<domain psmtp.com>\nmax-smtp-out 3\n</domain>\n`);
  it('the rollup queue has its own limit, and a member domain maps to it by MX', () => {
    expect(queueMaxSmtpOut(s, 'hotmail.rollup')).toMatchObject({ value: 6, at: '/etc/pmta/config:5' });
    expect(queueFor(s, 'hotmail.com', { mx: ['mx1.hotmail.com'] })).toEqual({ queue: 'hotmail.rollup', via: 'MX mx1.hotmail.com matches mx *.hotmail.com in <mx-rollup-list> (/etc/pmta/config:2)' });
    expect(queueFor(s, 'hotmail.com').queue).toBe('hotmail.com');
  });
  it('§10.17 example: mx1..mx4.hotmail.com roll up only when the domain has all four; the name must end in .rollup', () => {
    const t = settingsOf(`<mx-rollup-list>\n    mx mx1.hotmail.com hotmail.rollup\n    mx mx2.hotmail.com hotmail.rollup\n    mx mx3.hotmail.com hotmail.rollup\n    mx mx4.hotmail.com hotmail.rollup\n    mx smtp.secureserver.net secureserver.net.rollup\n    mx mx.example.com example.queue\n</mx-rollup-list>\n`);
    expect(queueFor(t, 'hotmail.com', { mx: ['mx1.hotmail.com', 'mx2.hotmail.com', 'mx3.hotmail.com', 'mx4.hotmail.com'] }).queue).toBe('hotmail.rollup');
    expect(queueFor(t, 'hotmail.com', { mx: ['mx1.hotmail.com'] }).queue).toBe('hotmail.com');
    expect(queueFor(t, 'example.org', { mx: ['smtp.secureserver.net'] }).queue).toBe('secureserver.net.rollup');
    expect(t.warnings).toEqual([expect.stringMatching(/^\/etc\/pmta\/config:7: rollup queue "example.queue" does not end in ".rollup"/)]);
  });

  it('§3.3.10.99: queue-to {sparkpost} from a vmta-wide <domain *>, and <domain {sparkpost}> is a valid block', () => {
    const t = settingsOf(`<domain {sparkpost}>\n    max-smtp-out 30\n</domain>\n<virtual-mta ExtraCapacity>\n    <domain *>\n        queue-to {sparkpost}\n    </domain>\n</virtual-mta>\n`);
    expect(t.warnings).toEqual([]);
    expect(queueFor(t, 'gmail.com', { vmta: 'ExtraCapacity' }).queue).toBe('{sparkpost}');
    expect(queueMaxSmtpOut(t, '{sparkpost}').value).toBe(30);
  });

  it('§10.9 example: hotmail.com, hotmail.co.uk and live.com through vmta hotmail-queue share hotmail.queue, max-smtp-out 10', () => {
    const t = settingsOf(`<virtual-mta hotmail-queue>\n    <domain hotmail.queue>\n        max-smtp-out 10\n        smtp-hosts hotmail.com  # you must define this for the consolidated queue.\n    </domain>\n    <domain hotmail.com>\n        queue-to "hotmail.queue"\n    </domain>\n    <domain hotmail.co.uk>\n        queue-to "hotmail.queue"\n    </domain>\n    <domain live.com>\n        queue-to "hotmail.queue"\n    </domain>\n</virtual-mta>\n`);
    for (const d of ['hotmail.com', 'hotmail.co.uk', 'live.com']) {
      const q = queueFor(t, d, { vmta: 'hotmail-queue' });
      expect(q.queue).toBe('hotmail.queue');
      expect(queueMaxSmtpOut(t, q.queue, 'hotmail-queue')).toMatchObject({ value: 10, at: '/etc/pmta/config:3' });
      expect(queueFor(t, d, { vmta: 'other' }).queue).toBe(d);
    }
  });

  it('queue-to sends a domain to another queue, whose limit applies', () => {
    const q = queueFor(s, 'example.psmtp.com');
    expect(q.queue).toBe('psmtp.com');
    expect(q.via).toContain('/etc/pmta/config:8');
    expect(queueMaxSmtpOut(s, q.queue).value).toBe(3);
  });
});

const here = dirname(fileURLToPath(import.meta.url));
const corpus = join(here, '../../../../shared/corpus/powermta/config');
const haveCorpus = existsSync(corpus);
if (!haveCorpus) console.warn(`corpus not found at ${corpus}: the real-world config checks are skipped`);

describe.skipIf(!haveCorpus)('corpus configs, read as SOURCES.md says', () => {
  const read = (name: string) => readFileSync(join(corpus, name), 'utf8');
  it('ug50-operator-constructs: yahoo via macro 5, hotmail.rollup 6, gmail 4 only on vmta1, pool 100', () => {
    const s = settingsOf(read('ug50-operator-constructs.config'), 'ug50.config');
    expect(s.warnings).toEqual([]);
    for (const d of ['yahoo.com', 'yahoo.de', 'yahoo.co.uk']) expect(queueMaxSmtpOut(s, d, 'vmta1')).toMatchObject({ value: 5, at: 'ug50.config:12' });
    expect(queueMaxSmtpOut(s, 'hotmail.rollup', 'vmta2')).toMatchObject({ value: 6, at: 'ug50.config:22' });
    expect(queueFor(s, 'hotmail.com', { mx: ['mx4.hotmail.com'] }).queue).toBe('hotmail.rollup');
    expect(queueMaxSmtpOut(s, 'gmail.com', 'vmta1')).toMatchObject({ value: 4, at: 'ug50.config:33' });
    expect(queueMaxSmtpOut(s, 'gmail.com', 'vmta2')).toMatchObject({ value: 20, at: 'ug50.config:5' });
    expect(queueFor(s, 'mx.psmtp.com', { vmta: 'vmta2' }).queue).toBe('psmtp.com');
    expect(queueFor(s, 'mx.psmtp.com', { vmta: 'vmta1' }).queue).toBe('mx.psmtp.com');
    expect(domainSetting(s, 'www.port25.com', 'bounce-after')?.value).toBe('4d');
    expect(connectionCeiling(s, 'gmail.com', ['vmta1', 'vmta2']).value).toBe(24);
  });
  it('martechstack: macros give yahoo and hotmail max 1; the vmtas cap at 850 each (include read)', () => {
    const files = new Map([
      ['/etc/pmta/config', read('martechstack-main.config')],
      ['/etc/pmta/virtualhost.txt', read('martechstack-virtualhost.txt')],
    ]);
    const parsed = parsePmtaConfig(files.get('/etc/pmta/config')!, '/etc/pmta/config');
    const nodes = resolveIncludes(parsed.nodes, files, (p) => [p]).nodes;
    const s = effectiveSettings(nodes);
    const vmtas = ['mail2.example.com-vmta', 'mail3.example.com-vmta'];
    expect(queueMaxSmtpOut(s, 'ymail.com', vmtas[0])).toMatchObject({ value: 1, at: '/etc/pmta/config:38', source: '<domain $yahoo> (ymail.com) max-smtp-out' });
    expect(queueMaxSmtpOut(s, 'hotmail.co.uk', vmtas[1])).toMatchObject({ value: 1, at: '/etc/pmta/config:27' });
    expect(queueMaxSmtpOut(s, 'gmail.com', vmtas[0])).toMatchObject({ value: 1, at: '/etc/pmta/config:44' });
    expect(s.virtualMtas.map((v) => v.maxSmtpOut)).toEqual([
      { value: 850, at: '/etc/pmta/virtualhost.txt:23', source: '<virtual-mta mail2.example.com-vmta> max-smtp-out' },
      { value: 850, at: '/etc/pmta/virtualhost.txt:32', source: '<virtual-mta mail3.example.com-vmta> max-smtp-out' },
    ]);
    expect(connectionCeiling(s, 'yahoo.com', vmtas).value).toBe(2);
  });
  it('sparkpost: the pool default <domain *> max-smtp-out 20 applies to mta1', () => {
    const s = settingsOf(read('sparkpost-signals-demo.config'), 'sp.config');
    expect(queueMaxSmtpOut(s, 'gmail.com', 'mta1')).toMatchObject({ value: 20, at: 'sp.config:41', source: '<domain *> in <virtual-mta-pool default> max-smtp-out' });
  });
});
