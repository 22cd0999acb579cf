/**
 * `mtafleet audit` on a lab fleet with one host per scenario (every scenario in SCENARIO_NAMES):
 * after the lab's settle time, 10 consecutive audits each name exactly the scenario's kind as
 * every host's top finding (nothing warn/critical on the healthy ones) and rank the same
 * findings the same way — every audit is judged, none is retried. The JSON contract holds, an
 * unreachable host is reported with its error (exit 4), and the audits change nothing on the
 * hosts (config, sysctls, fstab, systemd drop-ins hashed before and after).
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { labSettleSeconds, SCENARIO_NAMES } from '../../../src/lab/scenarios.js';
import { cli, useLab } from '../../helpers/lab.js';
import { freePort } from '../../helpers/sshd.js';
import { AuditContract } from '../../unit/report/contract.js';
import { findAll, hasClass, parseStrict } from '../../unit/report/html-check.js';
import { dumpDom, hasChromium } from './chromium.js';
import { promtoolCheck } from '../../helpers/promtool.js';

/**
 * The top warn/critical finding each scenario must get (null: none). A scenario of
 * SCENARIO_NAMES missing here fails the suite; an entry for a scenario the lab does not (yet)
 * have is skipped.
 */
const EXPECTED_TOP: Record<string, string | null> = {
  healthy: null,
  'healthy-macros': null,
  'acct-layout': null,
  'spool-io': 'spool-io',
  'fd-limit': 'fd-limit',
  'port-exhaustion': 'port-exhaustion',
  'thread-contention': 'thread-contention',
  'isp-limit': 'isp-limit',
  'isp-limit-macros': 'isp-limit',
  'isp-limit-many-domains': 'isp-limit',
  'ip-reputation': 'ip-reputation',
  'microsoft-block': 'ip-reputation',
  'isp-deferral-uniform': 'deferrals',
  'thread-contention-no-directive': 'thread-contention',
};
const SCENARIOS = [...SCENARIO_NAMES];
const AUDITS = 10;
const RANK: Record<string, number> = { info: 0, warn: 1, critical: 2 };

/** What must not change: read-only evidence of the host's configuration. */
const SNAPSHOT = [
  'find /etc/pmta -type f | LC_ALL=C sort | xargs -r sha256sum',
  'sha256sum /etc/fstab /etc/sysctl.conf 2>&1',
  'find /etc/sysctl.d /etc/systemd/system -type f 2>/dev/null | LC_ALL=C sort | xargs -r sha256sum',
  'sysctl net.ipv4.ip_local_port_range net.ipv4.tcp_fin_timeout net.ipv4.tcp_tw_reuse net.core.somaxconn',
  // the filesystem holding the spool (the mount table as a whole changes with other tests' namespaces)
  'findmnt -rn -o TARGET,SOURCE,FSTYPE -T /var/spool/pmta',
  "stat -c '%U:%G %a' /var/spool/pmta",
].join('; ');

describe('mtafleet audit on a lab with one host per scenario', () => {
  const fx = useLab({ name: 'rep', hosts: SCENARIOS.length, scenarios: SCENARIOS });

  it('every scenario has an expected top finding', () => {
    expect(SCENARIOS.filter((s) => !(s in EXPECTED_TOP)), 'scenarios missing from EXPECTED_TOP').toEqual([]);
  });

  it(`after the settle time, ${AUDITS} consecutive audits each name the scenario as every host's top finding, ranked the same, and change nothing`, async () => {
    const { lab } = fx;
    const labUp = Date.now(); // the lab came up just before (useLab): the settle time counts from here at the latest
    const before = new Map<string, string>();
    for (const h of lab.hosts) before.set(h.name, (await lab.run(h.name, SNAPSHOT)).stdout);
    // A fixed settle time, never "until it looks right": what an operator gets from one audit.
    const settleMs = labSettleSeconds(SCENARIOS) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, labUp + settleMs - Date.now())));

    const problems: string[] = [];
    const firstRanking = new Map<string, string>();
    const firstListed = new Map<string, string>();
    const durations: number[] = [];
    for (let n = 1; n <= AUDITS; n += 1) {
      const started = Date.now();
      const r = await cli(['audit', '-i', lab.inventoryFile, '--format', 'json', '--forks', String(SCENARIOS.length)]);
      durations.push((Date.now() - started) / 1000);
      expect(r.stderr, `audit ${n}`).toBe('');
      expect(r.exitCode, `audit ${n}`).toBe(0);
      const report = AuditContract.parse(JSON.parse(r.stdout));
      expect(report.summary, `audit ${n}`).toMatchObject({ hosts: SCENARIOS.length, reachable: SCENARIOS.length });
      for (const host of lab.hosts) {
        const audited = report.hosts.find((h) => h.name === host.name)!;
        expect(audited.error, `audit ${n} ${host.name}`).toBeNull();
        // The report's order is the ranking: most severe first, then strength.
        const problemsOf = audited.findings.filter((f) => RANK[f.severity]! > 0);
        const ranking = problemsOf.map((f) => f.kind).join(' > ') || 'none';
        const listed = audited.findings.map((f) => `${f.kind}/${f.severity}/${f.confidence}/${Number(f.strength).toFixed(2)}`).join(', ');
        for (const f of audited.findings) expect(f.confidence, `audit ${n} ${host.name} ${f.kind}`).toMatch(/^(high|low)$/);
        const want = EXPECTED_TOP[host.scenario] ?? 'none';
        const top = problemsOf[0]?.kind ?? 'none';
        if (top !== want) problems.push(`audit ${n}: ${host.name} (${host.scenario}) top ${top}, want ${want} [${listed}]`);
        const first = firstRanking.get(host.name);
        if (first === undefined) {
          firstRanking.set(host.name, ranking);
          firstListed.set(host.name, listed);
        }
        else if (first !== ranking) problems.push(`audit ${n}: ${host.name} (${host.scenario}) ranked ${ranking}, audit 1 ranked ${first} [${listed}] [audit 1: ${firstListed.get(host.name)}]`);
      }
    }
    const since = (Date.now() - labUp) / 1000;
    console.log(`audit-lab: ${SCENARIOS.length} hosts, settle ${settleMs / 1000} s, ${AUDITS} audits ${durations.map((d) => d.toFixed(1)).join(' ')} s, done ${since.toFixed(0)} s after lab up`);
    expect(problems).toEqual([]);

    for (const h of lab.hosts) {
      const after = (await lab.run(h.name, SNAPSHOT)).stdout;
      expect(after.split('\n'), h.name).toEqual(before.get(h.name)!.split('\n'));
    }
  }, 900_000);

  it('reports an unreachable host in JSON and table with its error, exit 4', async () => {
    const { lab, dir } = fx;
    const inv = parse(readFileSync(lab.inventoryFile, 'utf8'));
    const first = Object.values(inv.all.children.mta.hosts as Record<string, Record<string, unknown>>)[0]!;
    inv.all.children.mta.hosts.ghost = { ...first, ansible_host: '127.0.0.1', ansible_port: await freePort(), lab_scenario: 'none' };
    const file = join(dir, 'with-ghost.yaml');
    writeFileSync(file, stringify(inv));
    const limit = `ghost:${lab.hosts.find((h) => h.scenario === 'healthy')!.name}`;

    const json = await cli(['audit', '-i', file, '--limit', limit, '--format', 'json']);
    expect(json.exitCode).toBe(4);
    const report = AuditContract.parse(JSON.parse(json.stdout));
    expect(report.summary).toMatchObject({ hosts: 2, reachable: 1 });
    const ghost = report.hosts.find((h) => h.name === 'ghost')!;
    expect(ghost).toMatchObject({ reachable: false, findings: [] });
    expect(ghost.error).toMatch(/refused|unreachable|ECONNREFUSED/i);

    const table = await cli(['audit', '-i', file, '--limit', limit]);
    expect(table.exitCode).toBe(4);
    expect(table.stdout).toMatch(/^ghost\s+unreachable/m);
    expect(table.stdout).toMatch(/^unreachable: ghost: /m);
  }, 240_000);

  it('--format openmetrics prints an exposition that promtool check metrics accepts, one series set per host', async () => {
    const { lab } = fx;
    const r = await cli(['audit', '-i', lab.inventoryFile, '--format', 'openmetrics', '--forks', String(SCENARIOS.length)]);
    expect(r.exitCode, r.stderr).toBe(0);
    const check = promtoolCheck(r.stdout);
    expect(check.output).toBe('');
    expect(check.code).toBe(0);
    for (const h of lab.hosts) {
      expect(r.stdout, h.name).toContain(`mtafleet_host_reachable{host="${h.name}"} 1\n`);
      expect(r.stdout, h.name).toMatch(new RegExp(`^mtafleet_host_probe_duration_seconds\\{host="${h.name}"\\} [0-9.]+$`, 'm'));
      expect(r.stdout, h.name).toMatch(new RegExp(`^mtafleet_queue_recipients\\{host="${h.name}"\\} [0-9]+$`, 'm'));
    }
    // the scenario's top finding is critical or warn in the severity gauge
    const spool = lab.hosts.find((h) => h.scenario === 'spool-io')!;
    expect(r.stdout).toMatch(new RegExp(`^mtafleet_finding_severity\\{host="${spool.name}",kind="spool-io"\\} [23]$`, 'm'));
  }, 240_000);

  it('--out writes markdown and HTML files (0644) and prints one summary line', async () => {
    const { lab, dir } = fx;
    const md = join(dir, 'audit.md');
    const mdRun = await cli(['audit', '-i', lab.inventoryFile, '--format', 'markdown', '--out', md]);
    expect(mdRun.exitCode).toBe(0);
    expect(mdRun.stdout).toMatch(new RegExp(`^markdown report written to .*audit\\.md: ${lab.hosts.length} hosts, ${lab.hosts.length} reachable; .*\n$`));
    expect(statSync(md).mode & 0o777).toBe(0o644);
    const text = readFileSync(md, 'utf8');
    for (const h of lab.hosts) expect(text).toContain(`## ${h.name} (`);

    const html = join(dir, 'audit.html');
    const htmlRun = await cli(['audit', '-i', lab.inventoryFile, '--format', 'html', '--out', html]);
    expect(htmlRun.exitCode).toBe(0);
    expect(statSync(html).mode & 0o777).toBe(0o644);
    const page = readFileSync(html, 'utf8');
    const doc = parseStrict(page);
    const charts = findAll(doc, (e) => e.name === 'svg' && hasClass(e, 'hourly-chart'));
    expect(charts.length, page.match(/Probes unavailable[\s\S]{0,400}/)?.[0] ?? 'no unavailable probes').toBe(lab.hosts.length);
    for (const chart of charts) expect(findAll(chart, (e) => e.name === 'rect')).toHaveLength(24);
    if (hasChromium) {
      const dom = await dumpDom(html, dir);
      const rendered = parseStrict(dom.slice(dom.indexOf('<html')));
      const inBrowser = findAll(rendered, (e) => e.name === 'svg' && hasClass(e, 'hourly-chart'));
      expect(inBrowser.map((c) => findAll(c, (e) => e.name === 'rect').length)).toEqual(lab.hosts.map(() => 24));
      expect(findAll(rendered, (e) => e.name === 'svg' && hasClass(e, 'ip-chart')).length).toBeGreaterThan(0);
    }
  }, 240_000);
});
