/**
 * Issue #13 item 6: host-supplied text used as a map key. A deferral to `u@__proto__` (any
 * sender can pick that recipient) once vanished from byDomain and set
 * Object.prototype.delivered/deferred/bounced in the runner; a domain named `constructor`
 * found Object's constructor. Every parser, merge, diagnosis and rendering below gets
 * prototype-named keys and must count them like any other key, leaving Object.prototype alone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditFleetWith } from '../../../src/audit/fleet.js';
import type { AuditReport } from '../../../src/audit/types.js';
import { diagnose } from '../../../src/diagnose/index.js';
import { ISP_PROFILES, ispLimit } from '../../../src/diagnose/profiles.js';
import type { IspLimit } from '../../../src/diagnose/types.js';
import type { InventoryHost } from '../../../src/inventory/types.js';
import { parsePmtaConfig } from '../../../src/pmta/config.js';
import { effectiveSettings } from '../../../src/pmta/settings.js';
import { makeAccountingProbe, type AccountingFacts } from '../../../src/probes/accounting.js';
import { loadAccountingCursor, saveAccountingCursor, type AccountingCursor } from '../../../src/probes/accounting-cursor.js';
import { runProbes } from '../../../src/probes/index.js';
import { emptyStatus, mergeHttpStatus } from '../../../src/probes/pmta-status.js';
import { parseIostat } from '../../../src/probes/spool-disk.js';
import { renderAudit } from '../../../src/report/index.js';
import { hostView } from '../../../src/report/view.js';
import type { HostConnection } from '../../../src/transport/types.js';
import { HOSTILE_KEYS, prototypeSnapshot } from '../../helpers/hostile-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'mtaf-hostile-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let before: Map<string, unknown>;
beforeEach(() => {
  before = prototypeSnapshot();
});
afterEach(() => {
  // No new own property, none replaced (a failing case must not poison the next ones).
  const after = prototypeSnapshot();
  for (const name of after.keys()) if (!before.has(name)) delete (Object.prototype as unknown as Record<string, unknown>)[name];
  expect(after).toEqual(before);
});

const isOwn = (obj: object, key: string): boolean => Object.hasOwn(obj, key);

describe('accounting: the host awk script, the merge and the cursor', () => {
  const HOUR = 1795800000 - (1795800000 % 3600);
  /** Per key j: j+1 delivered, j+2 deferred, 1 bounced to u@KEY from source IP KEY, spread over hours. */
  const records = (hourOffset: number): string[] =>
    HOSTILE_KEYS.flatMap((key, j) => {
      const at = (i: number): string => new Date((HOUR + hourOffset * 3600 + j * 60 + i) * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '+0000');
      const types = [...Array<string>(j + 1).fill('d'), ...Array<string>(j + 2).fill('t'), 'b'];
      return types.map((type, i) => `${type},${at(i)},u@${key},smtp;421 ${key} try later,${key}`);
    });
  const HEADER = 'type,timeLogged,rcpt,dsnDiag,dlvSourceIp';

  function audit(file: string, cursor?: AccountingCursor): { facts: AccountingFacts; cursor: AccountingCursor } {
    const { probe, takeCursor } = makeAccountingProbe(cursor);
    const stdout = execFileSync('sh', ['-c', probe.command.text], {
      env: { ...process.env, LC_ALL: 'C', MTAF_ACCT_FILES: file, MTAF_WINDOW_HOURS: '24' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString('utf8');
    const result = probe.parse({ stdout, stderr: '', exitCode: 0 });
    if (result.status !== 'ok') throw new Error(result.reason);
    // Through the runner's cursor store, as between two audits.
    saveAccountingCursor(dir, 'h', takeCursor()!);
    return { facts: result.facts, cursor: loadAccountingCursor(dir, 'h')! };
  }

  function expectCounted(facts: AccountingFacts, hours: number): void {
    HOSTILE_KEYS.forEach((key, j) => {
      const want = { delivered: (j + 1) * hours, deferred: (j + 2) * hours, bounced: hours };
      // The awk lower-cases domains (they are case-insensitive); IPs keep their text.
      expect(isOwn(facts.byDomain, key.toLowerCase()), `byDomain ${key}`).toBe(true);
      expect(facts.byDomain[key.toLowerCase()]).toMatchObject(want);
      expect(isOwn(facts.bySourceIp, key), `bySourceIp ${key}`).toBe(true);
      expect(facts.bySourceIp[key]).toEqual(want);
      expect(facts.topDiagnostics).toContainEqual({ domain: key.toLowerCase(), pattern: `smtp;421 ${key} try later`, count: (j + 3) * hours });
    });
    // And in the JSON the audit prints.
    const json = JSON.parse(JSON.stringify(facts)) as AccountingFacts;
    expect(Object.keys(json.byDomain).sort()).toEqual(HOSTILE_KEYS.map((k) => k.toLowerCase()).sort());
    expect(Object.keys(json.bySourceIp).sort()).toEqual([...HOSTILE_KEYS].sort());
    expect(json.byDomain['__proto__']).toEqual({ delivered: hours, deferred: 2 * hours, bounced: hours, deferralRate: 0.5 });
  }

  it('counts prototype-named domains, IPs and diagnostics in a full analysis', () => {
    const file = join(dir, 'full.csv');
    writeFileSync(file, [HEADER, ...records(0)].join('\n') + '\n');
    const { facts } = audit(file);
    expectCounted(facts, 1);
    expect(facts.records).toBe(HOSTILE_KEYS.reduce((n, _k, j) => n + 2 * j + 4, 0));
  });

  it('keeps them through the saved cursor: the incremental audit equals the full one', () => {
    const file = join(dir, 'incr.csv');
    writeFileSync(file, [HEADER, ...records(0), ...records(1), ...records(2)].join('\n') + '\n');
    const first = audit(file);
    expect(Object.keys(first.cursor.buckets).length).toBeGreaterThan(0);
    for (const partial of Object.values(first.cursor.buckets)) expect(isOwn(partial.domains, '__proto__')).toBe(true);
    writeFileSync(file, [HEADER, ...records(0), ...records(1), ...records(2), ...records(3)].join('\n') + '\n');
    const incremental = audit(file, first.cursor).facts;
    expectCounted(incremental, 4);
    const full = audit(file).facts;
    expect(JSON.stringify(incremental)).toBe(JSON.stringify(full));
  });

  it('refuses a saved cursor whose bucket keys are not hour numbers (the next audit reads the whole window)', () => {
    const file = join(dir, 'buckets.csv');
    writeFileSync(file, [HEADER, ...records(0), ...records(1)].join('\n') + '\n');
    const { cursor } = audit(file);
    const [hour, partial] = Object.entries(cursor.buckets)[0]!;
    for (const key of HOSTILE_KEYS) {
      const json = JSON.stringify(cursor).replace(`"buckets":{"${hour}":`, `"buckets":{"${key}":`);
      expect(json).toContain(`"${key}":{"minE"`);
      writeFileSync(join(dir, 'accounting', 'h.json'), json);
      expect(loadAccountingCursor(dir, 'h'), key).toBeUndefined();
    }
    expect(partial.minE).toBeGreaterThan(0);
  });
});

describe('PowerMTA config: directive, domain, pool and acct-file names', () => {
  it('keeps every prototype-named block and directive as its own entry', () => {
    const text = HOSTILE_KEYS.map(
      (key, j) => `<domain ${key}>\n  max-smtp-out ${j + 1}\n  ${key} v${j}\n</domain>\n<virtual-mta-pool ${key}>\n  virtual-mta ${key}\n  <domain ${key}>\n    max-msg-per-connection ${j + 5}\n  </domain>\n</virtual-mta-pool>\n<acct-file /var/log/${key}>\n  records d,${key}\n</acct-file>\n${key} global\n`,
    ).join('');
    const settings = effectiveSettings(parsePmtaConfig(text, '/etc/pmta/config').nodes);
    HOSTILE_KEYS.forEach((key, j) => {
      const name = key.toLowerCase(); // block args and directive names are case-insensitive
      expect(isOwn(settings.domains, name), `domain ${key}`).toBe(true);
      expect(settings.domains[name]!.maxSmtpOut).toBe(j + 1);
      expect(isOwn(settings.domains[name]!.raw, name)).toBe(true);
      expect(settings.domains[name]!.raw[name]).toBe(`v${j}`);
      expect(isOwn(settings.pools, key)).toBe(true);
      expect(settings.pools[key]!.virtualMtas).toEqual([key]);
      expect(settings.pools[key]!.domains[name]!.maxMsgPerConnection).toBe(j + 5);
      expect(settings.acctRecords[`/var/log/${key}`]).toEqual(['d', key]);
    });
    const json = JSON.parse(JSON.stringify(settings)) as typeof settings;
    expect(Object.keys(json.domains).sort()).toEqual(HOSTILE_KEYS.map((k) => k.toLowerCase()).sort());
    expect(Object.keys(json.pools).sort()).toEqual([...HOSTILE_KEYS].sort());
  });
});

describe('iostat: device and column names', () => {
  it('keeps prototype-named devices and ignores prototype-named columns', () => {
    const text = `Device r/s w/s constructor __proto__ %util\n${HOSTILE_KEYS.map((d, j) => `${d} 1.0 2.0 3.0 4.0 ${j}.5`).join('\n')}\n`;
    const { rows, warnings } = parseIostat(text);
    expect(warnings).toEqual([]);
    expect(rows).toEqual(HOSTILE_KEYS.map((device, j) => ({ device, readsPerSec: 1, writesPerSec: 2, util: j + 0.5 })));
  });
});

describe('PowerMTA HTTP status JSON', () => {
  it('reads its own fields; prototype-named keys set nothing and are no data', () => {
    const hostile = Object.fromEntries(HOSTILE_KEYS.map((k) => [k, { delivered: 1, status: 'x', cur: 7 }]));
    // The Guide's envelope (UG §6.2.1 JSON-style): counters under data.status.
    const text = JSON.stringify({
      ...hostile,
      status: 'success',
      data: {
        ...hostile,
        mta: { ...hostile, product: { ...hostile, name: 'PowerMTA', version: '5.0r1' } },
        status: { ...hostile, status: 'running', traffic: { ...hostile, lastHr: { ...hostile, out: { msg: 42, rcp: 43, kb: 44 } } }, conn: { ...hostile, smtpOut: { cur: 3, top: 4, max: 5 } } },
      },
    });
    expect(text).toContain('"__proto__":');
    const facts = emptyStatus();
    const warnings: string[] = [];
    expect(mergeHttpStatus(text, facts, warnings)).toBe(true);
    expect(warnings).toEqual([]);
    expect(facts.traffic).toEqual({ lastHour: { in: { rcpts: 0, msgs: 0, kbytes: 0 }, out: { rcpts: 43, msgs: 42, kbytes: 44 } } });
    expect(facts.connections).toEqual({ smtpIn: undefined, smtpOut: { active: 3, top: 4, max: 5 } });
    expect(facts.status).toBe('running');
  });
});

describe('diagnosis: ISP profiles by domain', () => {
  it('gives a prototype-named domain the * row', () => {
    for (const key of HOSTILE_KEYS) expect(ispLimit('medium', key.toLowerCase())).toEqual(ispLimit('medium', 'unknown.example'));
  });
});

/**
 * Recorded lab batches (bench/fixtures) with their domains, source IPs, virtual MTA and
 * device names renamed to prototype names, through the real probe parsers, the audit, the
 * diagnosis and every renderer: the report must be the original one, renamed.
 */
describe('a whole audit of a host whose names are all prototype names', () => {
  const IPS = ['toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'];
  const RENAME: Array<[RegExp, string | ((m: string, n: string) => string)]> = [
    [/\bgmail\.com\b/g, '__proto__'],
    // Not inside MX host names ("...protection.outlook.com"): the ISP is known by its MX.
    [/(?<![.-])\boutlook\.com\b/g, 'constructor'],
    [/\byahoo\.com\b/g, 'prototype'],
    [/\bexample\.net\b/g, 'hasownproperty'],
    // Each lab host has four source IPs in a row: 203.0.113.5-8, 9-12, ... Not inside the ISPs'
    // dsnDiag texts ("[IP]", "from IP"): the diagnostic groups replace IPs there by design.
    [/(?<!\[|from )\b203\.0\.113\.(\d+)\b/g, (_m, n) => IPS[(Number(n) - 1) % 4]!],
    [/\bvmta1\b/g, '__proto__'],
    [/\bvmta2\b/g, 'constructor'],
    [/\bvda\b/g, 'constructor'],
    [/\bloop\d+\b/g, 'constructor'],
  ];
  const rename = (text: string): string => RENAME.reduce((t, [re, to]) => t.replace(re, to as (m: string, n: string) => string), text);

  const replaying = (name: string, stdout: string): HostConnection => ({
    name,
    exec: async () => ({ stdout, stderr: '', exitCode: 0, signal: null, durationMs: 1 }),
    readFile: async () => null,
    writeFileAtomic: async () => {
      throw new Error('an audit never writes');
    },
    close: async () => undefined,
  });

  /** The renamed ISPs keep their profile rows (given as overrides: they are keyed by domain). */
  const renamedProfiles = Object.fromEntries(
    (['gmail.com', 'outlook.com', 'yahoo.com'] as const).map((d) => [rename(d), ISP_PROFILES.medium[d]!]),
  );

  async function auditOf(hostName: string, stdout: string, ispLimits?: Record<string, IspLimit>): Promise<AuditReport> {
    const host: InventoryHost = { name: hostName, vars: { ansible_host: '127.0.0.1', [hostName]: 'x' }, groups: ['all'] };
    return auditFleetWith(
      {
        connect: async (spec) => replaying(spec.name, stdout),
        runProbes: (conn) => runProbes(conn),
        diagnose: (facts, options) => diagnose(facts, { ...options, ...(ispLimits ? { ispLimits } : {}) }),
      },
      [host],
      { forks: 1, connection: { knownHostsFile: join(dir, 'known_hosts') } },
    );
  }

  /**
   * topDiagnostics keeps the top 25, ties ordered by domain name, which the renaming
   * changes: compare the entries above the cut, in a fixed order.
   */
  const canonical = (report: AuditReport): unknown => {
    const copy = JSON.parse(JSON.stringify(report)) as AuditReport;
    for (const h of copy.hosts) {
      delete h.probeSeconds; // wall time of each audit, not data the renaming could change
      const acc = h.facts.accounting;
      if (!acc) continue;
      const cut = acc.topDiagnostics.length === 25 ? acc.topDiagnostics[24]!.count : 0;
      acc.topDiagnostics = acc.topDiagnostics.filter((d) => d.count > cut).sort((a, b) => b.count - a.count || JSON.stringify(a).localeCompare(JSON.stringify(b)));
    }
    return copy;
  };

  it.each(['healthy', 'ip-reputation', 'spool-io', 'fd-limit'])('%s batch: the same report, renamed', async (scenario) => {
    const { stdout } = JSON.parse(readFileSync(new URL(`../../../bench/fixtures/probe-batch-${scenario}.json`, import.meta.url), 'utf8')) as { stdout: string };
    const original = await auditOf('mta01', stdout);
    const hostile = await auditOf('__proto__', rename(stdout), renamedProfiles);
    // The renaming reached every map the test is about.
    const facts = hostile.hosts[0]!.facts;
    expect(hostile.hosts[0]!.error).toBeNull();
    expect(isOwn(facts.accounting!.byDomain, '__proto__')).toBe(true);
    expect(isOwn(facts.accounting!.byDomain, 'constructor')).toBe(true);
    expect(isOwn(facts.accounting!.bySourceIp, 'toString')).toBe(true);
    expect(isOwn(facts.accounting!.bySourceIp, '__defineGetter__')).toBe(true);
    expect(isOwn(facts.spool!.io, 'constructor')).toBe(true);
    expect(Object.keys(facts.config!.settings.domains)).toContain('__proto__');
    // Same numbers, findings and warnings as the original host, under the new names.
    const expected = canonical(JSON.parse(rename(JSON.stringify(original).replace(/"mta01"/g, '"__proto__"'))) as AuditReport);
    expect(canonical(hostile)).toEqual(expected);
    expect(JSON.parse(renderAudit(hostile, 'json'))).toEqual(JSON.parse(JSON.stringify(hostile)));
    // Every renderer shows the host and its per-IP rates.
    const view = hostView(hostile.hosts[0]!);
    expect(view.ipDeferrals.map((d) => d.ip).sort()).toEqual(['__defineGetter__', 'hasOwnProperty', 'toString', 'valueOf']);
    for (const format of ['table', 'html'] as const) expect(renderAudit(hostile, format)).toContain('__proto__');
    expect(renderAudit(hostile, 'markdown')).toContain('\\_\\_proto\\_\\_');
  });
});
