/**
 * The lab's reputation scenarios end to end without the lab: the simulator's 24 h accounting
 * history for each world (src/lab/assets/lib/history.mjs), the real accounting host script
 * over it, then the diagnosis. Each random history must be diagnosed right (several runs, each
 * judged): the lab audit reads mostly this history.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/diagnose/index.js';
import { scenarioSetup, sourceIps, type ScenarioName } from '../../../src/lab/scenarios.js';
import { accountingProbe, parseAccountingScan } from '../../../src/probes/accounting.js';
// @ts-expect-error plain .mjs asset without type declarations
import { acctHeaderLine } from '../../../src/lab/assets/lib/acct.mjs';
// @ts-expect-error plain .mjs asset without type declarations
import { historyChunks } from '../../../src/lab/assets/lib/history.mjs';
// @ts-expect-error plain .mjs asset without type declarations
import { DEFAULT_WORLD } from '../../../src/lab/assets/lib/world.mjs';
import { healthy } from './facts.js';

const dir = mkdtempSync(join(tmpdir(), 'mtaf-rep-hist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The world the simulator would load for the scenario (world.json over the defaults). */
function worldOf(name: ScenarioName): Record<string, unknown> {
  const ctx = { hostIndex: 1, hostName: 'mta02', address: '198.18.0.3/15', cores: 2 };
  const world = JSON.parse(scenarioSetup(name, ctx).files['/etc/pmta-sim/world.json']!) as Record<string, Record<string, unknown>>;
  return { ...DEFAULT_WORLD, ...world, mix: { ...DEFAULT_WORLD.mix, ...world.mix }, isps: { ...DEFAULT_WORLD.isps, ...world.isps } };
}

function auditHistory(name: ScenarioName, run: number) {
  const ips = sourceIps(1);
  const vmtas = ips.map((sourceIp, i) => ({ name: `vmta${i + 1}`, sourceIp }));
  const file = join(dir, `${name}-${run}.csv`);
  let text = acctHeaderLine();
  for (const chunk of historyChunks(worldOf(name), vmtas, { now: Date.UTC(2026, 10, 28, 10, 30), hostName: 'mta02.lab.example', records: ['d', 't', 'b'], pool: 'default' })) text += chunk;
  writeFileSync(file, text);
  const r = spawnSync('sh', ['-c', accountingProbe.command.text], { env: { ...process.env, LC_ALL: 'C', MTAF_ACCT_FILES: file, MTAF_WINDOW_HOURS: '24' }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  const scan = parseAccountingScan({ stdout: r.stdout.toString('utf8'), stderr: '', exitCode: r.status ?? 1 }, undefined);
  if (scan.result.status !== 'ok') throw new Error(scan.result.reason);
  const host = healthy();
  host.facts.accounting = scan.result.facts;
  return { ips, findings: diagnose(host).filter((f) => f.severity !== 'info') };
}

describe('the reputation scenarios\' history, diagnosed', () => {
  for (let run = 1; run <= 3; run += 1) {
    it(`microsoft-block (history ${run}): the top finding is ip-reputation naming the blocked IP and Microsoft`, () => {
      const { ips, findings } = auditHistory('microsoft-block', run);
      expect(findings.map((f) => f.kind)).toEqual(['ip-reputation']);
      expect(findings[0]!.title).toContain(`${ips[1]} is refused by Microsoft (hotmail.com, outlook.com)`);
      expect(findings[0]!.evidence.join('\n')).toMatch(/policy-related 5\.7\.1: smtp;550 5\.7\.1 Unfortunately, messages from \[<ip>\]/);
    });
    it(`isp-deferral-uniform (history ${run}): the top finding is deferrals at Yahoo/AOL with the per-IP spread`, () => {
      const { findings } = auditHistory('isp-deferral-uniform', run);
      expect(findings.map((f) => `${f.kind}:${f.severity}`)).toEqual(['deferrals:critical']);
      expect(findings[0]!.title).toMatch(/^Yahoo\/AOL \(yahoo\.com\) defers \d+\.\d % of messages on every source IP/);
      expect(findings[0]!.evidence.join('\n')).toContain('[TSS04] Messages from <ip>');
    });
    it(`ip-reputation (history ${run}): still ip-reputation, now naming the ISPs`, () => {
      const { ips, findings } = auditHistory('ip-reputation', run);
      expect(findings.map((f) => f.kind)).toEqual(['ip-reputation']);
      expect(findings[0]!.title).toContain(`(${ips[2]}, ${ips[3]})`);
    });
    it(`healthy (history ${run}): no warn or critical finding`, () => {
      expect(auditHistory('healthy', run).findings).toEqual([]);
    });
  }
});
