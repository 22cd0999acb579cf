import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/diagnose/index.js';
import { parsePmtaConfig } from '../../../src/pmta/config.js';
import { effectiveSettings } from '../../../src/pmta/settings.js';
import type { HostFacts } from '../../../src/probes/index.js';
import { healthy } from './facts.js';

/** Four source vmtas; `inVmta` is written inside each, `extra` at the top level. */
function config(extra: string, inVmta = ''): string {
  const vmtas = [1, 2, 3, 4].map((i) => `<virtual-mta vmta${i}>\n    smtp-source-host 203.0.113.${i} mta${i}.lab.example\n${inVmta}</virtual-mta>`);
  return `log-file /var/log/pmta/pmta.log\n${vmtas.join('\n')}\n${extra}`;
}

/** The healthy host with this config and one queue whose connections are `conns`, 2 per vmta at least. */
function host(text: string, queue: string, conns: number, perVmta = 3): HostFacts {
  const h = healthy();
  const nodes = parsePmtaConfig(text, '/etc/pmta/config').nodes;
  h.facts.config = { file: '/etc/pmta/config', files: ['/etc/pmta/config'], errors: [], settings: effectiveSettings(nodes) };
  h.facts.pmtaStatus!.domains = [{ domain: queue, rcpts: 1800, kbytes: 900, connections: conns, lastError: '' }];
  h.facts.pmtaStatus!.vmtas = [1, 2, 3, 4].map((i) => ({ name: `vmta${i}`, domains: 3, rcpts: 500, kbytes: 100, connections: perVmta }));
  return h;
}
const ispLimit = (h: HostFacts) => diagnose(h).find((f) => f.kind === 'isp-limit');

describe('isp-limit against the effective max-smtp-out (UG §3.3, §10.17)', () => {
  it('a limit written with domain-macro is found (it used to fall back to 20 and miss the finding)', () => {
    const text = config('domain-macro google gmail.com, googlemail.com\n<domain $google>\n    max-smtp-out 2\n</domain>\n');
    const f = ispLimit(host(text, 'gmail.com', 8));
    expect(f?.evidence[0]).toBe(
      'gmail.com: 8 connections open = <domain $google> (gmail.com) max-smtp-out 2 (/etc/pmta/config:16) × 4 source IPs (pmta show domains, virtual-mta smtp-source-host)',
    );
  });

  it('generous per-vmta limits written with a macro are not an ISP limit (the global block alone would say 2 × 4 = 8)', () => {
    const text = config('domain-macro google gmail.com\n<domain gmail.com>\n    max-smtp-out 2\n</domain>\n', '    <domain $google>\n        max-smtp-out 10\n    </domain>\n');
    expect(ispLimit(host(text, 'gmail.com', 8))).toBeUndefined();
    expect(ispLimit(host(text, 'gmail.com', 40, 10))).toBeDefined();
  });

  it('different limits per vmta are summed and each named', () => {
    const text = config('<domain *>\n    max-smtp-out 20\n</domain>\n').replace('mta1.lab.example\n', 'mta1.lab.example\n    <domain gmail.com>\n        max-smtp-out 1\n    </domain>\n');
    const hosts = host(text, 'gmail.com', 61, 20);
    hosts.facts.pmtaStatus!.vmtas[0]!.connections = 1;
    const f = ispLimit(hosts);
    expect(f?.evidence[0]).toMatch(/^gmail\.com: 61 connections open = vmta1 1 \(<domain gmail\.com> in <virtual-mta vmta1> max-smtp-out 1 \(\/etc\/pmta\/config:5\)\) \+ vmta2 20 \(<domain \*> max-smtp-out 20 \(\/etc\/pmta\/config:\d+\)\)/);
  });

  it('the rollup queue hotmail.rollup is judged by its own <domain hotmail.rollup> limit', () => {
    const text = config('<mx-rollup-list>\n    mx *.hotmail.com hotmail.rollup\n</mx-rollup-list>\n<domain hotmail.rollup>\n    max-smtp-out 3\n</domain>\n');
    const f = ispLimit(host(text, 'hotmail.rollup', 12));
    expect(f?.evidence[0]).toContain('<domain hotmail.rollup> max-smtp-out 3 (/etc/pmta/config:18) × 4 source IPs');
  });

  it('a vmta max-smtp-out below the domain limit is the ceiling, and is named', () => {
    const f = ispLimit(host(config('', '    max-smtp-out 2\n'), 'yahoo.com', 8, 2));
    expect(f?.evidence[0]).toContain('= max-smtp-out 2 in each <virtual-mta> (/etc/pmta/config:4, /etc/pmta/config:8, /etc/pmta/config:12, /etc/pmta/config:16) × 4 source IPs');
  });

  it('the server-wide total-max-smtp-out is told apart from an ISP limit', () => {
    const f = ispLimit(host(config('total-max-smtp-out 10\n'), 'yahoo.com', 10, 2));
    expect(f?.title).toBe('yahoo.com connections are held by the server-wide total-max-smtp-out 10 (/etc/pmta/config:14), not by an ISP limit');
    expect(f?.remedy).toBeNull();
    expect(f?.evidence[0]).toContain('capped at 10 by total-max-smtp-out (/etc/pmta/config:14)');
  });
});
