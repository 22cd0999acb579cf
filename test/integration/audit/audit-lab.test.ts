/**
 * `mtafleet audit` on a lab fleet with one host per scenario: the JSON contract holds, each
 * host's top finding is exactly its scenario's kind (nothing warn/critical on `healthy`), an
 * unreachable host is reported with its error (exit 4), and the audit changes nothing on the
 * hosts (config, sysctls, fstab, systemd drop-ins hashed before and after).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { cli, startLab, type LabHandle } from '../../helpers/lab.js';
import { freePort } from '../../helpers/sshd.js';
import { AuditContract } from '../../unit/report/contract.js';
import { findAll, hasClass, parseStrict } from '../../unit/report/html-check.js';
import { dumpDom, hasChromium } from './chromium.js';

const SCENARIOS = ['healthy', 'spool-io', 'fd-limit', 'port-exhaustion', 'thread-contention', 'isp-limit', 'ip-reputation'];
const RANK: Record<string, number> = { info: 0, warn: 1, critical: 2 };
/** How long scenarios get to build up their bottleneck after the lab is up. */
const SETTLE_MS = 120_000;

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
  let lab: LabHandle;
  let dir: string;
  const before = new Map<string, string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mtaf-rep-audit-'));
    lab = await startLab({ name: 'rep', hosts: SCENARIOS.length, scenarios: SCENARIOS });
    for (const h of lab.hosts) before.set(h.name, (await lab.run(h.name, SNAPSHOT)).stdout);
  }, 300_000);

  afterAll(async () => {
    try {
      await lab?.down();
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('names exactly the scenario as the top finding on each host, and changes nothing', async () => {
    // Scenarios build up under load (TIME-WAIT piles, disk queues): audit until every host
    // shows its scenario or the settle time is over, then judge the last audit.
    const settleUntil = Date.now() + SETTLE_MS;
    let got: Record<string, string> = {};
    let want: Record<string, string> = {};
    for (;;) {
      const r = await cli(['audit', '-i', lab.inventoryFile, '--format', 'json', '--forks', '7']);
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      const report = AuditContract.parse(JSON.parse(r.stdout));
      expect(report.summary).toMatchObject({ hosts: SCENARIOS.length, reachable: SCENARIOS.length });
      ({ got, want } = topFindings(report));
      if (JSON.stringify(got) === JSON.stringify(want) || Date.now() > settleUntil) break;
      await new Promise((resolve) => setTimeout(resolve, 15_000));
    }
    expect(got).toEqual(want);

    for (const h of lab.hosts) {
      const after = (await lab.run(h.name, SNAPSHOT)).stdout;
      expect(after.split('\n'), h.name).toEqual(before.get(h.name)!.split('\n'));
    }
  }, 300_000);

  function topFindings(report: ReturnType<typeof AuditContract.parse>): { got: Record<string, string>; want: Record<string, string> } {
    const got: Record<string, string> = {};
    const want: Record<string, string> = {};
    for (const host of lab.hosts) {
      const audited = report.hosts.find((h) => h.name === host.name)!;
      expect(audited.error, host.name).toBeNull();
      const problems = audited.findings.filter((f) => RANK[f.severity]! > 0);
      const top = problems.reduce<(typeof problems)[number] | undefined>((best, f) => (!best || RANK[f.severity]! > RANK[best.severity]! ? f : best), undefined);
      got[host.name] = top ? `${host.scenario}: ${top.kind}` : `${host.scenario}: none`;
      want[host.name] = host.scenario === 'healthy' ? 'healthy: none' : `${host.scenario}: ${host.scenario}`;
    }
    return { got, want };
  }

  it('reports an unreachable host in JSON and table with its error, exit 4', async () => {
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

  it('--out writes markdown and HTML files (0644) and prints one summary line', async () => {
    const md = join(dir, 'audit.md');
    const mdRun = await cli(['audit', '-i', lab.inventoryFile, '--format', 'markdown', '--out', md]);
    expect(mdRun.exitCode).toBe(0);
    expect(mdRun.stdout).toMatch(/^markdown report written to .*audit\.md: 7 hosts, 7 reachable; .*\n$/);
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
