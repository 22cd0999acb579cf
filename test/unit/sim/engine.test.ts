import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs asset without type declarations
import { Engine } from '../../../src/lab/assets/lib/engine.mjs';
// @ts-expect-error plain .mjs asset without type declarations
import { loadConfig } from '../../../src/lab/assets/lib/config.mjs';
// @ts-expect-error plain .mjs asset without type declarations
import { DEFAULT_WORLD } from '../../../src/lab/assets/lib/world.mjs';
// @ts-expect-error plain .mjs asset without type declarations
import { writeMessageSync, newMessageId } from '../../../src/lab/assets/lib/spool.mjs';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function config(ips: number, threads?: number): string {
  const vmtas = Array.from({ length: ips }, (_, i) => `<virtual-mta v${i}>\n smtp-source-host 203.0.113.${i + 1}\n</virtual-mta>\n`).join('');
  return `${threads ? `queue-processing-threads ${threads}\n` : ''}${vmtas}<domain gmail.com>\n max-smtp-out 2\n</domain>\n`;
}

/** Runs the engine on `count` gmail messages for `seconds` of simulated time; returns delivered count. */
function simulate(text: string, opts: { count?: number; seconds?: number; cpuMsPerMsg?: number; domain?: string } = {}) {
  const spool = mkdtempSync(path.join(tmpdir(), 'mtaf-sim-engine-'));
  dirs.push(spool);
  const model = loadConfig('/etc/pmta/config', { read: () => text, list: () => [], exists: () => true });
  const world = { ...DEFAULT_WORLD, isps: { '*': { deferRate: 0, bounceRate: 0, secondsPerMsg: 1 } }, cpuMsPerMsg: opts.cpuMsPerMsg ?? 1, retrySeconds: 1000 };
  const records: string[] = [];
  const engine = new Engine({ log: () => {}, acct: (type: string) => records.push(type), world, model, hostName: 'h', defaultSourceIp: '127.0.0.1', burner: null });
  const domain = opts.domain ?? 'gmail.com';
  for (let i = 0; i < (opts.count ?? 200); i += 1) {
    engine.add(writeMessageSync(spool, { id: newMessageId(), rcpt: `u${i}@${domain}`, domain, orig: 'b@x', vmta: null, queuedAt: 0, jobId: 'j' }));
  }
  let now = 1_000_000;
  for (let t = 0; t < (opts.seconds ?? 5) * 10; t += 1) {
    now += 100;
    engine.tick(now, 100);
  }
  const rows = engine.queueRows();
  const left = readdirSync(spool, { recursive: true }).filter((f) => String(f).endsWith('.msg')).length;
  engine.closeAll();
  return { delivered: records.filter((r) => r === 'd').length, deferred: records.filter((r) => r === 't').length, left, rows };
}

describe('delivery engine', () => {
  it('scales with max-smtp-out x source IPs and deletes delivered files', () => {
    const two = simulate(config(2));
    const four = simulate(config(4));
    // 2 connections per IP, ~1 s per message, 5 s: about 2*2*5 and 4*2*5.
    expect(two.delivered).toBeGreaterThanOrEqual(12);
    expect(two.delivered).toBeLessThanOrEqual(28);
    expect(four.delivered).toBeGreaterThan(1.6 * two.delivered);
    expect(four.left).toBe(200 - four.delivered);
  });

  it('is held back by a single processing thread', () => {
    const many = simulate(config(4, 8), { cpuMsPerMsg: 250 });
    const one = simulate(config(4, 1), { cpuMsPerMsg: 250 });
    expect(one.delivered).toBeLessThan(many.delivered / 2);
  });

  it('always defers hold.test and keeps its files', () => {
    const held = simulate(config(2), { domain: 'hold.test', count: 10 });
    expect(held.delivered).toBe(0);
    expect(held.deferred).toBeGreaterThan(0);
    expect(held.left).toBe(10);
  });

  it('pins connections per domain/vMTA at max-smtp-out', () => {
    const { rows } = simulate(config(3), { seconds: 1 });
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r.conn).toBe(2);
  });

  it('a vmta max-smtp-out caps all its queues; a pool max-smtp-out caps its vmtas together (UG §3.3.13)', () => {
    const vmtaCap = config(2).replace(' smtp-source-host 203.0.113.1\n', ' smtp-source-host 203.0.113.1\n max-smtp-out 1\n');
    const { rows } = simulate(vmtaCap, { seconds: 1 });
    expect(rows.map((r: { vmta: string; conn: number }) => [r.vmta, r.conn])).toEqual([['v0', 1], ['v1', 2]]);
    const pool = `${config(3).replace(' max-smtp-out 2', ' max-smtp-out 5')}<virtual-mta-pool p>\n virtual-mta v0\n virtual-mta v1\n virtual-mta v2\n max-smtp-out 4\n</virtual-mta-pool>\n`;
    const pooled = simulate(pool, { seconds: 1 }).rows.reduce((n: number, r: { conn: number }) => n + r.conn, 0);
    expect(pooled).toBe(4);
  });

  it('queues hotmail.com mail as the rollup queue its MX matches, with that queue\'s limit (UG §10.17)', () => {
    const text = `${config(2)}<mx-rollup-list>\n mx *.olc.protection.outlook.com microsoft.rollup\n</mx-rollup-list>\n<domain microsoft.rollup>\n max-smtp-out 1\n</domain>\n`;
    const { rows } = simulate(text, { seconds: 1, domain: 'hotmail.com' });
    expect(rows.map((r: { domain: string; conn: number }) => [r.domain, r.conn])).toEqual([['microsoft.rollup', 1], ['microsoft.rollup', 1]]);
  });
});
