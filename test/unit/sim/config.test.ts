import { describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs asset without type declarations
import { loadConfig, parseTree, domainSettings, parseInterval, ConfigError, queueOf } from '../../../src/lab/assets/lib/config.mjs';

/** In-memory files for the parser's io adapter. */
function memFs(files: Record<string, string>) {
  return {
    read: (p: string) => {
      if (!(p in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return files[p];
    },
    list: (dir: string) => Object.keys(files).filter((f) => f.startsWith(`${dir}/`) && !f.slice(dir.length + 1).includes('/')).map((f) => f.slice(dir.length + 1)),
    exists: (p: string) => p in files || Object.keys(files).some((f) => f.startsWith(`${p}/`)),
  };
}

const CONFIG = `# lab config
http-mgmt-port 8080
http-access 127.0.0.1 monitor
http-access 10.0.0.0/8 admin
queue-processing-threads 4   # from the article
smtp-service-threads 8
num-hosts 2
<acct-file /var/log/pmta/acct.csv>
    records d,b,t
    max-size 50M
</acct-file>
<spool /var/spool/pmta>
    deliver-only no
</spool>
<virtual-mta vmta1>
    smtp-source-host 203.0.113.1 mta1.example.com
    <domain gmail.com>
        max-smtp-out 3
    </domain>
</virtual-mta>
<virtual-mta vmta2>
    smtp-source-host 203.0.113.2 mta2.example.com
</virtual-mta>
<virtual-mta-pool default>
    virtual-mta vmta1
    virtual-mta vmta2
    <domain *>
        max-smtp-out 20
        retry-after 10m
    </domain>
</virtual-mta-pool>
<domain gmail.com>
    max-smtp-out 8
</domain>
include /etc/pmta/conf.d/*.conf
`;

describe('config parser', () => {
  it('reads directives, nested blocks, wildcard includes and the article thread directives', () => {
    const io = memFs({
      '/etc/pmta/config': CONFIG,
      '/etc/pmta/conf.d/10-yahoo.conf': '<domain yahoo.com>\n  max-smtp-out 5\n</domain>\n',
      '/etc/pmta/conf.d/20-outlook.conf': '<domain outlook.com>\n  max-smtp-out 6\n  retry-after 1h30m\n</domain>\n',
      '/etc/pmta/conf.d/readme.txt': 'not a config',
    });
    const model = loadConfig('/etc/pmta/config', io);
    expect(model.httpMgmtPort).toBe(8080);
    expect(model.httpAccess).toEqual([{ cidr: '127.0.0.1', level: 'monitor' }, { cidr: '10.0.0.0/8', level: 'admin' }]);
    expect(model.queueProcessingThreads).toBe(4);
    expect(model.smtpServiceThreads).toBe(8);
    expect(model.spoolDir).toBe('/var/spool/pmta');
    expect(model.acctFiles).toEqual([{ path: '/var/log/pmta/acct.csv', records: ['d', 'b', 't'], recordFields: null }]);
    expect(model.vmtas.map((v: { name: string; sourceIp: string }) => [v.name, v.sourceIp])).toEqual([['vmta1', '203.0.113.1'], ['vmta2', '203.0.113.2']]);
    expect(model.pools[0].vmtas).toEqual(['vmta1', 'vmta2']);
    expect(Object.keys(model.domains).sort()).toEqual(['gmail.com', 'outlook.com', 'yahoo.com']);
    // vmta block beats global domain block beats the pool's <domain *> beats the default.
    expect(domainSettings(model, 'gmail.com', 'vmta1').maxSmtpOut).toBe(3);
    expect(domainSettings(model, 'gmail.com', 'vmta2').maxSmtpOut).toBe(8);
    expect(domainSettings(model, 'example.net', 'vmta2').maxSmtpOut).toBe(20);
    expect(domainSettings(model, 'outlook.com', 'vmta2').retryAfterSec).toBe(5400);
  });

  it.each([
    ['unknown directive', 'http-mgmt-port 8080\nmax-smtp-outt 5\n', 2, 'unknown directive "max-smtp-outt"'],
    ['missing argument', '<domain gmail.com>\n  max-smtp-out\n</domain>\n', 2, 'argument missing'],
    ['bad integer', '<domain gmail.com>\n  max-smtp-out lots\n</domain>\n', 2, 'invalid value "lots" for "max-smtp-out"'],
    ['unclosed block', '\n<domain gmail.com>\n  max-smtp-out 5\n', 3, 'missing "</domain>" for block opened in line 2'],
    ['stray close', 'http-mgmt-port 8080\n</domain>\n', 2, 'unexpected "</domain>"'],
    ['directive in the wrong block', '<spool /var/spool/pmta>\n  max-smtp-out 5\n</spool>\n', 2, 'directive "max-smtp-out" not allowed here'],
    ['block in the wrong place', '<domain a.com>\n<spool /x>\n</spool>\n</domain>\n', 2, 'block "<spool>" not allowed here'],
    ['article spool-dir', 'spool-dir /var/spool/pmta\n', 1, 'unknown directive "spool-dir"'],
  ])('rejects %s naming the line', (_name, text, line, what) => {
    const io = memFs({ '/etc/pmta/config': text });
    expect(() => loadConfig('/etc/pmta/config', io)).toThrow(`Error in line ${line} of /etc/pmta/config: ${what}`);
  });

  it('names the included file and its own line numbers', () => {
    const io = memFs({
      '/etc/pmta/config': 'http-mgmt-port 8080\ninclude /etc/pmta/extra.conf\n',
      '/etc/pmta/extra.conf': '# extra\n\nfrobnicate yes\n',
    });
    expect(() => loadConfig('/etc/pmta/config', io)).toThrow('Error in line 3 of /etc/pmta/extra.conf: unknown directive "frobnicate"');
  });

  it('errors on a missing non-wildcard include, not on an empty wildcard', () => {
    expect(() => loadConfig('/etc/pmta/config', memFs({ '/etc/pmta/config': 'include missing.conf\n' }))).toThrow(ConfigError);
    expect(() => loadConfig('/etc/pmta/config', memFs({ '/etc/pmta/config': 'include /etc/pmta/conf.d/*.conf\n' }))).not.toThrow();
  });

  it('includes inside a block apply to that block', () => {
    const io = memFs({ '/etc/pmta/config': '<domain gmail.com>\n  include /etc/pmta/gmail.inc\n</domain>\n', '/etc/pmta/gmail.inc': 'max-smtp-out 2\n' });
    expect(domainSettings(loadConfig('/etc/pmta/config', io), 'gmail.com', 'x').maxSmtpOut).toBe(2);
    expect(parseTree('/etc/pmta/config', io).children[0].children[0]).toMatchObject({ key: 'max-smtp-out', value: '2', line: 1, file: '/etc/pmta/gmail.inc' });
  });

  it('parses PowerMTA intervals', () => {
    expect(parseInterval('1w2d12h')).toBe(604800 + 2 * 86400 + 12 * 3600);
    expect(parseInterval('10m')).toBe(600);
    expect(parseInterval('90')).toBe(90);
  });

  /** UG §3.3.1.33.4 (domain-macro), §3.3 <domain> wildcards, §3.3.13 nesting, §10.9 queue-to. */
  it('resolves macros, wildcards (most specific wins), per-vmta blocks and queue-to like PowerMTA', () => {
    const text = `domain-macro topLevel com, de
domain-macro google gmail.com,googlemail.com
<domain *>
 max-smtp-out 30
</domain>
<domain yahoo.$topLevel>
 max-smtp-out 5
</domain>
<domain [*.]port25.com>
 max-smtp-out 7
</domain>
<domain *.psmtp.com>
 queue-to "psmtp.com"
</domain>
<virtual-mta v1>
 smtp-source-host 192.0.2.1 a
 <domain $google>
  max-smtp-out 4
 </domain>
</virtual-mta>
<virtual-mta v2>
 smtp-source-host 192.0.2.2 b
</virtual-mta>
<virtual-mta-pool p>
 virtual-mta v2
 <domain *>
  max-smtp-out 11
 </domain>
</virtual-mta-pool>
`;
    const model = loadConfig('/etc/pmta/config', memFs({ '/etc/pmta/config': text }));
    const max = (d: string, v: string) => domainSettings(model, d, v).maxSmtpOut;
    expect([max('yahoo.de', 'v1'), max('yahoo.fr', 'v1'), max('port25.com', 'v1'), max('a.port25.com', 'v1')]).toEqual([5, 30, 7, 7]);
    expect([max('googlemail.com', 'v1'), max('gmail.com', 'v2'), max('yahoo.com', 'v2')]).toEqual([4, 11, 5]);
    expect(queueOf(model, 'mx.psmtp.com', 'v1', 'mx.mx.psmtp.com')).toBe('psmtp.com');
    expect(queueOf(model, 'gmail.com', 'v1', 'gmail-smtp-in.l.google.com')).toBe('gmail.com');
  });

  it('rejects an undefined macro and a pattern outside the UG forms, naming the line', () => {
    expect(() => loadConfig('/etc/pmta/config', memFs({ '/etc/pmta/config': 'log-file x\n<domain $nope>\n max-smtp-out 1\n</domain>\n' }))).toThrow(/line 2 .*unknown domain macro "\$nope"/);
    expect(() => loadConfig('/etc/pmta/config', memFs({ '/etc/pmta/config': '<domain gm*il.com>\n max-smtp-out 1\n</domain>\n' }))).toThrow(/line 1 .*invalid domain name/);
  });

  it('UG §3.3.10: macros within macros, loops refused, a listed domain over an expanded one', () => {
    const load = (text: string) => loadConfig('/etc/pmta/config', memFs({ '/etc/pmta/config': text }));
    const nested = load('domain-macro com com, co.uk, com.br\ndomain-macro tld $com, org, net\n<domain x.$tld>\n max-smtp-out 3\n</domain>\n');
    expect(['x.com', 'x.com.br', 'x.net'].map((d) => domainSettings(nested, d, 'v').maxSmtpOut)).toEqual([3, 3, 3]);
    expect(() => load('domain-macro a $b\ndomain-macro b $a\n')).toThrow(/domain macro loop/);
    const aol = load('<domain aol.com>\n max-smtp-out 100\n</domain>\ndomain-macro com com, co.uk\n<domain aol.$com>\n max-smtp-out 50\n</domain>\n');
    expect([domainSettings(aol, 'aol.com', 'v').maxSmtpOut, domainSettings(aol, 'aol.co.uk', 'v').maxSmtpOut]).toEqual([100, 50]);
  });

  it('UG §10.17: rollup names end in .rollup; a queue listing more MXs than the domain has does not match; {sparkpost} blocks load', () => {
    const load = (text: string) => loadConfig('/etc/pmta/config', memFs({ '/etc/pmta/config': text }));
    expect(() => load('<mx-rollup-list>\n mx mx.example.com example.queue\n</mx-rollup-list>\n')).toThrow(/line 2 .*must end in "\.rollup"/);
    const m = load('<mx-rollup-list>\n mx mx1.hotmail.com hotmail.rollup\n mx mx2.hotmail.com hotmail.rollup\n mx smtp.secureserver.net secureserver.net.rollup\n</mx-rollup-list>\n<domain {sparkpost}>\n max-smtp-out 30\n</domain>\n');
    expect(queueOf(m, 'hotmail.com', 'v', 'mx1.hotmail.com')).toBe('hotmail.com');
    expect(queueOf(m, 'example.org', 'v', 'smtp.secureserver.net')).toBe('secureserver.net.rollup');
    expect(domainSettings(m, '{sparkpost}', 'v').maxSmtpOut).toBe(30);
  });

  it('UG §3.3.13.2: refuses a vmta in two pools that both hold <domain> blocks', () => {
    const text = '<virtual-mta mta1>\n</virtual-mta>\n<virtual-mta-pool one>\n <domain yahoo.com>\n  max-msg-rate 10/h\n </domain>\n virtual-mta mta1\n</virtual-mta-pool>\n<virtual-mta-pool two>\n <domain yahoo.com>\n  max-msg-rate 15/h\n </domain>\n virtual-mta mta1\n</virtual-mta-pool>\n';
    expect(() => loadConfig('/etc/pmta/config', memFs({ '/etc/pmta/config': text }))).toThrow(/line 13 .*two pools/);
  });

  it('UG §10.9 example: queue-to inside a vmta puts hotmail.com, hotmail.co.uk and live.com in hotmail.queue (max-smtp-out 10)', () => {
    const text = '<virtual-mta hotmail-queue>\n    <domain hotmail.queue>\n        max-smtp-out 10\n    </domain>\n    <domain hotmail.com>\n        queue-to "hotmail.queue"\n    </domain>\n    <domain hotmail.co.uk>\n        queue-to "hotmail.queue"\n    </domain>\n    <domain live.com>\n        queue-to "hotmail.queue"\n    </domain>\n</virtual-mta>\n';
    const m = loadConfig('/etc/pmta/config', memFs({ '/etc/pmta/config': text }));
    expect(['hotmail.com', 'hotmail.co.uk', 'live.com'].map((d) => queueOf(m, d, 'hotmail-queue', `mx.${d}`))).toEqual(['hotmail.queue', 'hotmail.queue', 'hotmail.queue']);
    expect(queueOf(m, 'live.com', 'other', 'mx.live.com')).toBe('live.com');
    expect(domainSettings(m, 'hotmail.queue', 'hotmail-queue').maxSmtpOut).toBe(10);
  });
});
