import { describe, expect, it } from 'vitest';
import { findBlocks, findDirectives, parsePmtaConfig, resolveIncludes } from '../../../src/pmta/config.js';
import { effectiveSettings } from '../../../src/pmta/settings.js';

/** POWERMTA.md "typical lab config", with comments and blank lines to check line numbers. */
const LAB = `# PowerMTA config
http-mgmt-port 8080
http-access 127.0.0.1 monitor   # local monitoring only
run-as-root no
log-file /var/log/pmta/pmta.log

<acct-file /var/log/pmta/acct.csv>
    records d,b,t
    max-size 50M
    delete-after 8d
</acct-file>
<spool /var/spool/pmta>
    deliver-only no
</spool>
<virtual-mta vmta1>
    smtp-source-host 198.51.100.10 mta1.example.com
</virtual-mta>
<virtual-mta vmta2>
    smtp-source-host 198.51.100.11 mta2.example.com
</virtual-mta>
<virtual-mta-pool default>
    virtual-mta vmta1
    virtual-mta vmta2
    <domain *>
        max-smtp-out    20
        retry-after     10m
    </domain>
</virtual-mta-pool>
<domain gmail.com>
    max-smtp-out 8
    max-msg-per-connection 150
</domain>
queue-processing-threads 8
smtp-service-threads 32
num-hosts 512
include /etc/pmta/conf.d/*.conf
`;

describe('parsePmtaConfig', () => {
  const { nodes, errors } = parsePmtaConfig(LAB, '/etc/pmta/config');

  it('keeps exact 1-based lines, skipping comments and blank lines', () => {
    expect(errors).toEqual([]);
    expect(nodes[0]).toEqual({ type: 'directive', name: 'http-mgmt-port', value: '8080', line: 2, file: '/etc/pmta/config' });
    expect(nodes[1]).toMatchObject({ name: 'http-access', value: '127.0.0.1 monitor', line: 3 });
    const acct = nodes.find((n) => n.type === 'block' && n.name === 'acct-file');
    expect(acct).toMatchObject({ type: 'block', arg: '/var/log/pmta/acct.csv', line: 7, endLine: 11 });
    expect(nodes.at(-1)).toEqual({ type: 'include', pattern: '/etc/pmta/conf.d/*.conf', line: 36, file: '/etc/pmta/config' });
  });

  it('nests blocks and finds directives by block path', () => {
    expect(findDirectives(nodes, 'max-smtp-out', [['domain', 'gmail.com']]).map((d) => [d.value, d.line])).toEqual([['8', 30]]);
    expect(findDirectives(nodes, 'max-smtp-out', [['virtual-mta-pool', 'default'], ['domain', '*']]).map((d) => d.line)).toEqual([25]);
    expect(findDirectives(nodes, 'max-smtp-out')).toEqual([]);
    const pool = findBlocks(nodes, 'virtual-mta-pool')[0];
    expect(pool).toMatchObject({ line: 21, endLine: 28 });
  });

  it('reports unbalanced and mismatched tags with their lines', () => {
    expect(parsePmtaConfig('<domain a>\nmax-smtp-out 2\n</virtual-mta>\n', 'f').errors).toEqual([
      { line: 3, message: 'closing tag </virtual-mta> does not match <domain> opened at line 1' },
      { line: 1, message: 'block <domain a> is never closed' },
    ]);
    expect(parsePmtaConfig('</domain>\n<bad\n', 'f').errors.map((e) => e.line)).toEqual([1, 2]);
  });
});

describe('effectiveSettings', () => {
  it('unquotes a quoted acct-file path and keeps pipes apart (UG §11.3, §11.3.1 examples)', () => {
    const text = '<acct-file "/var/log/my pmta/acct.csv">\n  records d,b\n</acct-file>\n<acct-file |C:\\pmta\\bin\\customCode.exe --thisOption --thatOption>\n</acct-file>\n';
    const s = effectiveSettings(parsePmtaConfig(text, '/etc/pmta/config').nodes);
    expect(s.acctFiles).toEqual(['/var/log/my pmta/acct.csv']);
    expect(s.acctRecords).toEqual({ '/var/log/my pmta/acct.csv': ['d', 'b'] });
    expect(s.acctPipes).toEqual(['|C:\\pmta\\bin\\customCode.exe --thisOption --thatOption']);
  });

  it('extracts what the audit needs', () => {
    const s = effectiveSettings(parsePmtaConfig(LAB, '/etc/pmta/config').nodes);
    expect(s.threads).toEqual({ queueProcessingThreads: 8, smtpServiceThreads: 32, numHosts: 512 });
    expect(s.spoolDirs).toEqual(['/var/spool/pmta']);
    expect(s.acctFiles).toEqual(['/var/log/pmta/acct.csv']);
    expect(s.acctRecords).toEqual({ '/var/log/pmta/acct.csv': ['d', 'b', 't'] });
    expect(s.logFile).toBe('/var/log/pmta/pmta.log');
    expect(s.httpMgmtPort).toBe(8080);
    expect(s.domains['gmail.com']).toMatchObject({ maxSmtpOut: 8, maxMsgPerConnection: 150 });
    expect(s.virtualMtas.map((v) => [v.name, v.sourceIp])).toEqual([
      ['vmta1', '198.51.100.10'],
      ['vmta2', '198.51.100.11'],
    ]);
    expect(s.pools.default).toMatchObject({ virtualMtas: ['vmta1', 'vmta2'] });
    expect(s.pools.default.domains['*'].maxSmtpOut).toBe(20);
    expect(s.warnings).toEqual([]);
  });

  it('reads the deprecated one-line spool and the article\'s spool-dir, with warnings', () => {
    const s = effectiveSettings(parsePmtaConfig('spool /var/spool/old\nspool-dir /mnt/ssd\n', '/etc/pmta/config').nodes);
    expect(s.spoolDirs).toEqual(['/var/spool/old', '/mnt/ssd']);
    expect(s.warnings[0]).toMatch(/config:1: one-line "spool \/var\/spool\/old" is deprecated/);
    expect(s.warnings[1]).toMatch(/config:2: "spool-dir" is not a PowerMTA directive/);
  });
});

describe('resolveIncludes', () => {
  it('splices included files (relative to the including file), keeping their own lines', () => {
    const files = new Map([
      ['/etc/pmta/conf.d/a.conf', '# a\n<domain yahoo.com>\n  max-smtp-out 4\n</domain>\ninclude b.inc\n'],
      ['/etc/pmta/conf.d/b.inc', '\nnum-hosts 64\n'],
    ]);
    const main = parsePmtaConfig('num-hosts 1\ninclude /etc/pmta/conf.d/*.conf\n', '/etc/pmta/config');
    const expand = (pattern: string, from: string): string[] => {
      const abs = pattern.startsWith('/') ? pattern : `${from.replace(/\/[^/]*$/, '')}/${pattern}`;
      const re = new RegExp(`^${abs.replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}$`);
      return [...files.keys()].filter((p) => re.test(p));
    };
    const { nodes, errors } = resolveIncludes(main.nodes, files, expand);
    expect(errors).toEqual([]);
    const hosts = findDirectives(nodes, 'num-hosts');
    expect(hosts.map((d) => [d.file, d.line, d.value])).toEqual([
      ['/etc/pmta/config', 1, '1'],
      ['/etc/pmta/conf.d/b.inc', 2, '64'],
    ]);
    expect(effectiveSettings(nodes).threads.numHosts).toBe(64);
    expect(effectiveSettings(nodes).domains['yahoo.com'].maxSmtpOut).toBe(4);
  });

  it('reports a missing include and a cycle instead of looping', () => {
    const files = new Map([['/a', 'include /a\n']]);
    const { errors } = resolveIncludes(parsePmtaConfig('include /a\ninclude /missing\n', '/main').nodes, files, (p) => (files.has(p) ? [p] : []));
    expect(errors.map((e) => e.message)).toEqual(['include cycle through /a', 'included file /missing not found']);
  });
});
