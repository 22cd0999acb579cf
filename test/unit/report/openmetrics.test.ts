/**
 * The Prometheus text exposition of an audit (src/report/openmetrics.ts), on the report
 * fixture the other renderers use plus hostile label values. promtool checks the same output
 * in test/integration/audit/openmetrics-promtool.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { MAX_IPS, MAX_LABEL_CHARS, formatValue, labelValue, renderOpenMetrics } from '../../../src/report/openmetrics.js';
import { renderAudit } from '../../../src/report/index.js';
import type { AuditReport } from '../../../src/audit/types.js';
import { summarize } from '../../../src/audit/summary.js';
import { HOSTILE, sampleReport } from './fixture.js';

/** Sample lines as name{labels} -> value (the parser a scraper would be, for these tests). */
function samples(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), line.slice(at + 1));
  }
  return out;
}

describe('renderOpenMetrics', () => {
  const report = sampleReport();
  report.hosts[0]!.probeSeconds = 1.25;
  report.hosts[3]!.probeSeconds = 5;
  const text = renderOpenMetrics(report);
  const s = samples(text);

  it('is the format the audit CLI prints for --format openmetrics', () => {
    expect(renderAudit(report, 'openmetrics')).toBe(text);
  });

  it('gives fleet totals, reachability and probe duration per host', () => {
    expect(s.get('mtafleet_audit_hosts')).toBe('4');
    expect(s.get('mtafleet_audit_hosts_reachable')).toBe('3');
    expect(s.get('mtafleet_host_reachable{host="mta01"}')).toBe('1');
    expect(s.get('mtafleet_host_reachable{host="mta04"}')).toBe('0');
    expect(s.get('mtafleet_host_probed{host="mta04"}')).toBe('0');
    expect(s.get('mtafleet_host_probe_duration_seconds{host="mta01"}')).toBe('1.25');
    expect(s.get('mtafleet_host_probe_duration_seconds{host="mta04"}')).toBe('5');
    // an unreachable host has no measurements, only its reachability
    expect([...s.keys()].filter((k) => k.includes('"mta04"')).map((k) => k.split('{')[0]).sort()).toEqual([
      'mtafleet_host_probe_duration_seconds',
      'mtafleet_host_probed',
      'mtafleet_host_reachable',
    ]);
  });

  it('gives the delivery rate per second and the queue from PowerMTA status', () => {
    expect(Number(s.get('mtafleet_delivery_rate_messages_per_second{host="mta01"}'))).toBeCloseTo(98_000 / 3600, 9);
    expect(s.get('mtafleet_queue_recipients{host="mta01"}')).toBe('250000');
    // mta02 has no status: the newest accounting hour (0 delivered) is its rate
    expect(s.get('mtafleet_delivery_rate_messages_per_second{host="mta02"}')).toBe('0');
    expect(s.has('mtafleet_queue_recipients{host="mta02"}')).toBe(false);
  });

  it('gives deferral and bounce ratios per source IP and per ISP', () => {
    expect(s.get('mtafleet_source_ip_recipients{host="mta02",ip="198.51.100.20"}')).toBe('500');
    expect(s.get('mtafleet_source_ip_deferral_ratio{host="mta02",ip="198.51.100.20"}')).toBe('0.8');
    expect(s.get('mtafleet_source_ip_bounce_ratio{host="mta02",ip="198.51.100.21"}')).toBe('0.02');
    expect(s.get('mtafleet_isp_deferral_ratio{host="mta01",isp="Google"}')).toBe('0.09');
    expect(s.get('mtafleet_isp_bounce_ratio{host="mta01",isp="Google"}')).toBe('0.01');
    expect(s.get('mtafleet_isp_recipients{host="mta01",isp="Google"}')).toBe('1000');
  });

  it('leaves deferral ratios out when the window has no t records (unknown, not 0)', () => {
    expect(s.has('mtafleet_source_ip_deferral_ratio{host="mta03",ip="198.51.100.30"}')).toBe(false);
    expect(s.get('mtafleet_source_ip_bounce_ratio{host="mta03",ip="198.51.100.30"}')).toBe('0');
  });

  it('gives every known finding kind a severity per host, 0 when absent', () => {
    expect(s.get('mtafleet_finding_severity{host="mta01",kind="spool-io"}')).toBe('3');
    expect(s.get('mtafleet_finding_severity{host="mta01",kind="deferrals"}')).toBe('2');
    expect(s.get('mtafleet_finding_severity{host="mta01",kind="fd-limit"}')).toBe('0');
    expect(s.get('mtafleet_finding_severity{host="mta03",kind="spool-io"}')).toBe('1');
    expect(s.get('mtafleet_findings{host="mta01",severity="critical"}')).toBe('1');
    expect(s.get('mtafleet_findings{host="mta01",severity="warn"}')).toBe('1');
    expect(s.get('mtafleet_findings{host="mta02",severity="warn"}')).toBe('0');
  });

  it('declares each family once, HELP and TYPE gauge before its samples, all samples of a family together', () => {
    const lines = text.trimEnd().split('\n');
    const seen: string[] = [];
    let current = '';
    for (const line of lines) {
      const m = /^# (HELP|TYPE) (\S+) /.exec(line);
      if (m) {
        if (m[1] === 'HELP') {
          expect(seen).not.toContain(m[2]);
          seen.push(m[2]!);
          current = m[2]!;
        } else expect(line).toBe(`# TYPE ${current} gauge`);
        continue;
      }
      expect(line.startsWith(`${current}{`) || line.startsWith(`${current} `), line).toBe(true);
    }
    expect(seen.every((n) => /^mtafleet_[a-z_]+$/.test(n))).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('escapes hostile label values: the HTML-ish source IP key of the fixture stays one label', () => {
    const key = `mtafleet_source_ip_recipients{host="mta02",ip="${labelValue(HOSTILE)}"}`;
    expect(labelValue(HOSTILE)).toBe('<script>alert(\\"x\\")</script>');
    expect(s.get(key)).toBe('20');
  });
});

describe('labelValue and formatValue', () => {
  it('escapes backslash, double quote and newline as the text format requires', () => {
    expect(labelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });

  it('replaces other control characters and lone surrogates', () => {
    expect(labelValue('a\rb\u001b[2Jc\u0085d\u2028')).toBe('a\uFFFDb\uFFFD[2Jc\uFFFDd\uFFFD');
    expect(labelValue('x\ud800y')).toBe('x\uFFFDy');
    expect(labelValue('mail \u{1F4E7}')).toBe('mail \u{1F4E7}');
  });

  it(`bounds a label value to ${MAX_LABEL_CHARS} code points, cut ones ending in an ellipsis`, () => {
    const long = '\u{1F4E7}'.repeat(500);
    const v = labelValue(long);
    expect(Array.from(v)).toHaveLength(MAX_LABEL_CHARS);
    expect(v.endsWith('…')).toBe(true);
    expect(labelValue('a'.repeat(MAX_LABEL_CHARS))).toBe('a'.repeat(MAX_LABEL_CHARS));
    // escaping after the cut: a backslash at the edge cannot eat the closing quote
    expect(labelValue('\\'.repeat(300))).toBe('\\\\'.repeat(MAX_LABEL_CHARS - 1) + '…');
  });

  it('spells infinities as Prometheus does', () => {
    expect(formatValue(Infinity)).toBe('+Inf');
    expect(formatValue(-Infinity)).toBe('-Inf');
    expect(formatValue(0.5)).toBe('0.5');
    expect(formatValue(1e-7)).toBe('1e-7');
  });
});

describe('bounded series', () => {
  it(`exports at most ${MAX_IPS} source IPs per host (the busiest), and one series for IPs cut to the same label`, () => {
    const report = sampleReport();
    const acc = (report.hosts[1]!.facts as Record<string, { bySourceIp: Record<string, unknown> }>).accounting!;
    for (let i = 0; i < 200; i++) acc.bySourceIp[`10.0.${Math.floor(i / 250)}.${i % 250}`] = { delivered: i, deferred: 1, bounced: 0 };
    acc.bySourceIp['p'.repeat(300) + 'A'] = { delivered: 100_000, deferred: 0, bounced: 0 };
    acc.bySourceIp['p'.repeat(300) + 'B'] = { delivered: 90_000, deferred: 0, bounced: 0 };
    const s = samples(renderOpenMetrics(report));
    const ips = [...s.keys()].filter((k) => k.startsWith('mtafleet_source_ip_recipients{host="mta02"'));
    expect(ips).toHaveLength(MAX_IPS - 1);
    expect(s.get(`mtafleet_source_ip_recipients{host="mta02",ip="${'p'.repeat(MAX_LABEL_CHARS - 1)}…"}`)).toBe('100000');
    expect(ips.some((k) => k.includes('ip="10.0.0.199"'))).toBe(true);
    expect(ips.some((k) => k.includes('ip="10.0.0.0"'))).toBe(false);
  });

  it('renders an empty fleet as its totals only', () => {
    const empty: AuditReport = { hosts: [], summary: summarize([]) };
    expect(samples(renderOpenMetrics(empty))).toEqual(new Map([['mtafleet_audit_hosts', '0'], ['mtafleet_audit_hosts_reachable', '0']]));
  });
});
