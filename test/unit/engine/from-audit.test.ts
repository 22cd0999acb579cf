/**
 * `plan --from-audit` (issue #14 item 6): audit JSON -> one plan with a play per remedy
 * playbook, planned by the real planner on fake hosts with the audit's variables; findings
 * without an automatic remedy listed with why; bad audit files refused with file and path
 * before any host is contacted; the plan passes apply's re-making of every source, a resealed
 * edit does not; and applying it changes exactly the remedied hosts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAudit, readAuditFile, type AuditInput } from '../../../src/engine/audit-input.js';
import { DIAGNOSED_REMEDIES, planFromAudit, SHIPPED_PLAYBOOKS } from '../../../src/engine/from-audit.js';
import { ROOT } from '../../helpers/cli.js';
import { applyPlan, checkPlanSources } from '../../../src/engine/apply.js';
import { readPlanFile, writePlanFile, planDigest, type PlanBody, type PlanDocument } from '../../../src/engine/planfile.js';
import { sha256Hex } from '../../../src/engine/canonical.js';
import type { Inventory, InventoryHost } from '../../../src/inventory/types.js';
import { InputError, PlanFileError } from '../../../src/util/errors.js';
import { renderFromAuditMarkdown, renderFromAuditText } from '../../../src/report/plan-ticket.js';
import { FakeHost, KINDS, fakeKind, memoryLock, useFakeKind } from './fakes.js';

const dir = useFakeKind();

const PLAYBOOKS: Record<string, string> = {
  'fix-a.yaml': '- name: fix a\n  hosts: mta\n  serial: 1\n  tasks:\n    - { name: set a, fake: { key: /a, value: "{{ v }}" } }\n',
  'fix-b.yaml': '- name: fix b\n  hosts: mta\n  tasks:\n    - { name: set b, fake: { key: /b, value: "{{ w }}" } }\n',
  // Observes what fix-a changes (as thread-contention and isp-limit both edit /etc/pmta/config).
  'fix-d.yaml': '- name: fix d\n  hosts: dc_nowhere\n  tasks:\n    - { name: set d, fake: { key: /d, value: "1" } }\n',
  'fix-c.yaml': '- name: fix c\n  hosts: mta\n  tasks:\n    - { name: set a too, fake: { key: /a, value: "c-{{ v }}" } }\n',
};

/** The kinds the audit below names, and the test playbook mtafleet would name for each. */
const REMEDIES = { 'fd-limit': 'fix-a.yaml', 'spool-io': 'fix-a.yaml', 'port-exhaustion': 'fix-b.yaml', 'thread-contention': 'fix-a.yaml', 'isp-limit': 'fix-c.yaml', 'ip-reputation': 'fix-d.yaml' };

interface World {
  inventory: Inventory;
  conns: Map<string, FakeHost>;
  deps: { kinds: typeof KINDS; connect: (spec: { name: string }) => Promise<FakeHost>; lock: ReturnType<typeof memoryLock> };
  playbookDir: string;
  contacted: string[];
}

/** h1..h3 and h5 in group mta, h4 in group other; an inventory file on disk (apply checks its sha256). */
function world(tag: string): World {
  const root = join(dir(), tag);
  const playbookDir = join(root, 'playbooks');
  mkdirSync(playbookDir, { recursive: true });
  for (const [name, text] of Object.entries(PLAYBOOKS)) writeFileSync(join(playbookDir, name), text);
  const file = join(root, 'inv.yaml');
  writeFileSync(file, 'mta: {}\n');
  const host = (name: string, group: string): [string, InventoryHost] => [name, { name, vars: { ansible_host: '127.0.0.1' }, groups: ['all', group] }];
  const inventory: Inventory = {
    file,
    hosts: new Map([host('h1', 'mta'), host('h2', 'mta'), host('h3', 'mta'), host('h4', 'other'), host('h5', 'mta')]),
    groups: new Map([
      ['mta', { name: 'mta', hosts: ['h1', 'h2', 'h3', 'h5'], children: [], vars: {} }],
      ['other', { name: 'other', hosts: ['h4'], children: [], vars: {} }],
    ]),
  };
  const conns = new Map(['h1', 'h2', 'h3', 'h4', 'h5'].map((n) => [n, new FakeHost(n)]));
  const contacted: string[] = [];
  return {
    inventory,
    conns,
    playbookDir,
    contacted,
    deps: {
      kinds: KINDS,
      lock: memoryLock(),
      connect: async (spec) => {
        contacted.push(spec.name);
        return conns.get(spec.name)!;
      },
    },
  };
}

const finding = (kind: string, remedy: string | null, remedyVars?: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  kind,
  severity: 'critical',
  title: `${kind} title`,
  evidence: [`${kind} evidence`],
  remedy,
  ...(remedyVars ? { remedyVars } : {}),
  strength: 2,
  ...extra,
});
const host = (name: string, findings: unknown[], extra: Record<string, unknown> = {}) => ({ name, reachable: true, error: null, facts: {}, findings, unavailable: {}, warnings: [], ...extra });

/** The mixed audit: two hosts share one remedy, one host has two, the rest have none an automaton may apply. */
function mixedAudit(): unknown {
  return {
    hosts: [
      host('h1', [finding('fd-limit', 'playbooks/fix-a.yaml', { v: '1' }), { ...finding('deferrals', null), severity: 'info' }]),
      host('h2', [finding('fd-limit', 'playbooks/fix-a.yaml', { v: '1' }), { ...finding('port-exhaustion', 'playbooks/fix-b.yaml', { w: '2' }), severity: 'warn' }]),
      host('h3', [
        finding('thread-contention', null, undefined, { evidence: ['pmtad uses 99 %', 'instead: spread the traffic over more hosts'] }),
        finding('spool-io', 'playbooks/fix-a.yaml', { v: '?' }),
        finding('isp-limit', '/etc/evil.yaml', { v: '3' }),
      ]),
      host('h4', [finding('fd-limit', 'playbooks/fix-a.yaml', { v: '1' })]),
      host('h5', []),
    ],
    summary: { hosts: 5, reachable: 5, byKind: {} },
  };
}

function auditInput(data: unknown, path = '/audits/a.json'): AuditInput {
  return { path, sha256: sha256Hex(JSON.stringify(data)), hosts: parseAudit(data, path) };
}

async function made(w: World, data: unknown = mixedAudit(), extraVars?: Record<string, string>): Promise<PlanBody> {
  return planFromAudit({ audit: auditInput(data), inventory: w.inventory, forks: 2, playbookDir: w.playbookDir, remedies: REMEDIES, ...(extraVars ? { extraVars } : {}) }, w.deps);
}

/** Written and read back as apply reads it (digest, derivation), then apply's source check. */
async function roundTrip(w: World, body: PlanBody, name = 'fix.plan'): Promise<{ doc: PlanDocument; file: string }> {
  const file = join(dir(), name);
  writePlanFile(file, body);
  return { doc: readPlanFile(file), file };
}

describe('plan --from-audit: findings -> remedy plays', () => {
  it('one play per remedy playbook and variables, with the hosts that need it and the audit\'s variables rendered into the tasks', async () => {
    const w = world('mixed');
    const body = await made(w);
    const fa = body.fromAudit!;
    expect(fa.sources.map((s) => ({ playbook: s.playbook.path, limit: s.limit, vars: s.extraVars, first: s.firstPlay, count: s.playCount }))).toEqual([
      { playbook: join(w.playbookDir, 'fix-a.yaml'), limit: 'h1,h2', vars: { v: '1' }, first: 0, count: 1 },
      { playbook: join(w.playbookDir, 'fix-b.yaml'), limit: 'h2', vars: { w: '2' }, first: 1, count: 1 },
    ]);
    expect(fa.sources[0]!.findings).toEqual([
      { host: 'h1', kind: 'fd-limit', severity: 'critical' },
      { host: 'h2', kind: 'fd-limit', severity: 'critical' },
    ]);
    expect(fa.sources[1]!.playbook.sha256).toBe(sha256Hex(PLAYBOOKS['fix-b.yaml']!));
    expect(body.plays.map((p) => ({ index: p.index, name: p.name, hosts: p.hosts.map((h) => h.host), rolling: p.rolling.serial }))).toEqual([
      { index: 0, name: 'fix a', hosts: ['h1', 'h2'], rolling: [{ count: 1 }] },
      { index: 1, name: 'fix b', hosts: ['h2'], rolling: [] },
    ]);
    // h2 has two remedies: both planned, each against the host as it is.
    const params = body.plays.flatMap((p) => p.hosts.map((h) => [p.name, h.host, h.tasks[0]!.params, h.tasks[0]!.plan.kind]));
    expect(params).toEqual([
      ['fix a', 'h1', { key: '/a', value: '1' }, 'changes'],
      ['fix a', 'h2', { key: '/a', value: '1' }, 'changes'],
      ['fix b', 'h2', { key: '/b', value: '2' }, 'changes'],
    ]);
    expect(body.playbook).toEqual({ path: '/audits/a.json', sha256: fa.audit.sha256 });
    // Only hosts with a remedy were contacted (observed, read-only); nothing was written.
    expect([...new Set(w.contacted)].sort()).toEqual(['h1', 'h2']);
    expect([...w.conns.values()].flatMap((c) => c.log.filter((l) => l.startsWith('write')))).toEqual([]);
  });

  it('lists every finding without an automatic remedy with why, and the hosts left alone', async () => {
    const w = world('why');
    const fa = (await made(w)).fromAudit!;
    expect(fa.unremedied).toEqual([
      { host: 'h3', kind: 'thread-contention', severity: 'critical', reason: 'no playbook fixes this: a person must act (instead: spread the traffic over more hosts)' },
      { host: 'h3', kind: 'spool-io', severity: 'critical', reason: 'the audit could not tell v (given as "?"): set it with -e v=... or in the inventory and audit again' },
      {
        host: 'h3',
        kind: 'isp-limit',
        severity: 'critical',
        reason: 'the remedy "/etc/evil.yaml" is not a playbook shipped with mtafleet (only playbooks/*.yaml of this mtafleet are planned from an audit)',
      },
      { host: 'h4', kind: 'fd-limit', severity: 'critical', reason: 'not one of the hosts fix-a.yaml runs on (hosts: mta)' },
    ]);
    expect(fa.healthy).toEqual(['h5']);
  });

  it('an unreachable host of the audit is listed as not audited; -e fills a value the audit could not tell and wins over the audit\'s', async () => {
    const w = world('unreach');
    const data = mixedAudit() as { hosts: Array<Record<string, unknown>> };
    data.hosts[4] = { name: 'h5', reachable: false, error: 'connection refused', facts: {}, findings: [] };
    const body = await made(w, data, { v: '7' });
    expect(body.fromAudit!.unremedied).toContainEqual({ host: 'h5', kind: null, severity: null, reason: 'not audited: connection refused' });
    expect(body.fromAudit!.healthy).toEqual([]);
    // h3's spool-io ("?") now has v=7, and shares the source of h1 and h2 (same playbook, same vars).
    expect(body.fromAudit!.sources[0]).toMatchObject({ limit: 'h1,h2,h3', extraVars: { v: '7' } });
    expect(body.extraVars).toEqual({ v: '7' });
  });

  it('follows only the playbook mtafleet\'s audit names for the finding\'s kind', async () => {
    const w = world('kinds');
    const data = { hosts: [host('h1', [finding('fd-limit', 'playbooks/fix-b.yaml', { w: '1' }), finding('reputation-ish', 'playbooks/fix-a.yaml', { v: '1' })])] };
    const body = await made(w, data);
    expect(body.plays).toEqual([]);
    expect(body.fromAudit!.unremedied).toEqual([
      { host: 'h1', kind: 'fd-limit', severity: 'critical', reason: 'the remedy "playbooks/fix-b.yaml" is not the playbook mtafleet\'s audit names for fd-limit (playbooks/fix-a.yaml); not followed' },
      { host: 'h1', kind: 'reputation-ish', severity: 'critical', reason: 'the remedy "playbooks/fix-a.yaml" is not the playbook mtafleet\'s audit names for reputation-ish (none: a person must act); not followed' },
    ]);
    expect(w.contacted).toEqual([]);
  });

  it('a remedy whose playbook targets a group this inventory does not have is listed, not an error', async () => {
    const w = world('nogroup');
    const body = await made(w, { hosts: [host('h1', [finding('ip-reputation', 'playbooks/fix-d.yaml')])] });
    expect(body.fromAudit!.unremedied).toEqual([{ host: 'h1', kind: 'ip-reputation', severity: 'critical', reason: 'not one of the hosts fix-d.yaml runs on (hosts: dc_nowhere)' }]);
    expect(body.plays).toEqual([]);
  });

  it('the kind -> playbook table is the diagnosis\' own, and every playbook in it is shipped', () => {
    const named = ['system.ts', 'delivery.ts'].flatMap((f) => [...readFileSync(join(ROOT, 'src/diagnose', f), 'utf8').matchAll(/kind: '([a-z-]+)'[^]*?remedy: [^\n]*'playbooks\/([a-z0-9-]+\.yaml)'/g)].map((m) => [m[1], m[2]]));
    expect(named.length).toBeGreaterThanOrEqual(5);
    for (const [kind, file] of named) expect(DIAGNOSED_REMEDIES[kind!], kind).toBe(file);
    for (const file of Object.values(DIAGNOSED_REMEDIES)) expect(existsSync(join(SHIPPED_PLAYBOOKS, file)), file).toBe(true);
  });

  it('--limit narrows the audit to some hosts', async () => {
    const w = world('limit');
    const body = await planFromAudit({ audit: auditInput(mixedAudit()), inventory: w.inventory, limit: 'h2', forks: 1, playbookDir: w.playbookDir, remedies: REMEDIES }, w.deps);
    expect(body.fromAudit!.sources.map((s) => s.limit)).toEqual(['h2', 'h2']);
    expect(body.fromAudit!.unremedied).toEqual([]);
    expect(body.limit).toBe('h2');
  });

  it('a second remedy that observes what an earlier one changes on the same host is deferred, not planned stale', async () => {
    const w = world('clash');
    const data = { hosts: [host('h1', [finding('thread-contention', 'playbooks/fix-a.yaml', { v: '1' }), finding('isp-limit', 'playbooks/fix-c.yaml', { v: '1' })]), host('h2', [finding('isp-limit', 'playbooks/fix-c.yaml', { v: '1' })])] };
    const body = await made(w, data);
    expect(body.fromAudit!.sources.map((s) => [s.limit, s.findings.map((f) => f.host)])).toEqual([
      ['h1', ['h1']],
      ['h2', ['h2']],
    ]);
    expect(body.plays.map((p) => p.hosts.map((h) => h.host))).toEqual([['h1'], ['h2']]);
    expect(body.fromAudit!.unremedied).toEqual([
      { host: 'h1', kind: 'isp-limit', severity: 'critical', reason: 'deferred: fix-c.yaml observes fake /a, which fix-a.yaml in this plan changes; apply this plan, audit again and plan again' },
    ]);
    const { doc, file } = await roundTrip(w, body, 'clash.plan');
    await expect(checkPlanSources(doc, w.inventory, file, KINDS)).resolves.toBeUndefined();
  });
});

describe('plan --from-audit: the plan file and apply', () => {
  it('passes apply\'s re-making of every source, and applying it changes exactly the remedied hosts', async () => {
    const w = world('apply');
    const { doc, file } = await roundTrip(w, await made(w));
    await expect(checkPlanSources(doc, w.inventory, file, KINDS)).resolves.toBeUndefined();
    const r = await applyPlan(doc, { planFile: file, inventory: w.inventory, forks: 2, stateDir: join(dir(), 'apply-state'), autoRollback: true }, w.deps);
    expect(r.hosts.map((h) => [h.name, h.status, h.changes]).sort()).toEqual([
      ['h1', 'changed', 1],
      ['h2', 'changed', 2],
    ]);
    expect(Object.fromEntries([...w.conns].map(([n, c]) => [n, Object.fromEntries(c.files)]))).toEqual({ h1: { '/a': '1' }, h2: { '/a': '1', '/b': '2' }, h3: {}, h4: {}, h5: {} });
  });

  const forgeries: Array<[string, (doc: PlanDocument) => void, RegExp]> = [
    [
      'params changed and the changes re-derived by the step (the source\'s -e vars kept)',
      (doc) => {
        const t = doc.plays[0]!.hosts[1]!.tasks[0]!;
        t.params = { key: '/a', value: '9' };
        t.plan = fakeKind.plan(t.observations, t.params as never);
      },
      /play "fix a": host h2: task "set a": params are not what the playbook renders for this host \("value" differ\)/,
    ],
    ['a source\'s limit widened to a host without the finding', (doc) => (doc.fromAudit!.sources[1]!.limit = 'h1,h2'), /play "fix b": host h1 of the play is missing from the plan/],
    ['a play no source accounts for', (doc) => doc.fromAudit!.sources.pop(), /the remedies account for 1 play\(s\), the plan has 2/],
    ['play numbers that collide (journal change ids)', (doc) => (doc.plays[1]!.index = 0), /play 2 is numbered 0/],
    [
      'a source pointed at another playbook',
      (doc) => Object.assign(doc.fromAudit!.sources[1]!, { playbook: { ...doc.fromAudit!.sources[0]!.playbook }, extraVars: { v: '1' } }),
      /play 1 is "fix b" where the playbook's is "fix a"/,
    ],
  ];
  for (const [what, edit, message] of forgeries) {
    it(`refuses a resealed plan with ${what}`, async () => {
      const w = world(`forge-${forgeries.findIndex((f) => f[0] === what)}`);
      const { doc, file } = await roundTrip(w, await made(w));
      edit(doc);
      const { digest: _, ...body } = doc;
      doc.digest = planDigest(body);
      const err = await checkPlanSources(doc, w.inventory, file, KINDS).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PlanFileError);
      expect((err as Error).message).toMatch(message);
    });
  }

  it('renders one Markdown change ticket: findings and remedies, what needs a person and why, each remedy\'s plan, apply and rollback', async () => {
    const w = world('ticket');
    const data = mixedAudit() as { hosts: Array<{ findings: Array<Record<string, unknown>> }> };
    data.hosts[2]!.findings[0]!.evidence = ['instead: <script>x</script> | `rm -rf /`'];
    const body = await made(w, data);
    const digest = planDigest(body);
    const md = renderFromAuditMarkdown(body, digest, 'fix.plan');
    expect(md).toMatch(/^# Change ticket: remedies for the findings of \/audits\/a\.json\n/);
    expect(md).toContain(`- plan digest \`${digest}\``);
    expect(md).toContain('- 2 remedy playbook run(s); 3 change(s) on 2 of 2 host(s)\n');
    expect(md).toContain('| h1 | fd-limit | critical | playbooks/fix-a.yaml (remedy 1) | v=1 | 1 change(s) |');
    expect(md).toContain('| h2 | port-exhaustion | warn | playbooks/fix-b.yaml (remedy 2) | w=2 | 1 change(s) |');
    expect(md).toContain('| h3 | thread-contention | critical | no playbook fixes this: a person must act (instead: &lt;script&gt;x&lt;/script&gt; \\| \\`rm -rf /\\`) |');
    expect(md).toContain('Hosts with no warn or critical finding (left alone): h5.');
    expect(md).toContain('## Remedy 1: playbooks/fix-a.yaml on h1, h2');
    expect(md).toContain(`mtafleet plan ${join(w.playbookDir, 'fix-a.yaml')} -i ${w.inventory.file} --limit h1,h2 -e v=1\n`);
    expect(md).toContain('### Play: fix a');
    expect(md).toContain('#### h2');
    expect(md).toContain("mtafleet apply fix.plan\n");
    expect(md).toContain('- [ ] approved by:');
    expect(md).not.toContain('<script>');
    const text = renderFromAuditText(body, { diff: false });
    expect(text).toMatch(/^FROM AUDIT \/audits\/a\.json \(sha256 [0-9a-f]{12}\)\n  remedy 1: playbooks\/fix-a\.yaml on h1,h2  \(-e v=1\)\n    h1: fd-limit \(critical\)\n/);
    expect(text).toContain('    h4: fd-limit (critical): not one of the hosts fix-a.yaml runs on (hosts: mta)\n');
    expect(text).toContain('PLAY fix b\n');
    expect(text).toMatch(/\n3 change\(s\) on 2 of 2 host\(s\) \(2 remedy playbook run\(s\)\)\n$/);
  });
});

describe('plan --from-audit: bad audit files are refused before any host is contacted', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['not the audit shape', { findings: [] }, /^\/a\.json: hosts: .*expected the JSON of `mtafleet audit --format json`/],
    ['a finding without a severity', { hosts: [host('h1', [{ kind: 'fd-limit', remedy: null }])] }, /^\/a\.json: hosts\[0\]\.findings\[0\]\.severity: /],
    ['a newline in a variable value', { hosts: [host('h1', [finding('fd-limit', 'playbooks/fix-a.yaml', { v: '1\nreboot' })])] }, /^\/a\.json: hosts\[0\]\.findings\[0\]\.remedyVars\.v: a control character/],
    ['a variable that steers privileges', { hosts: [host('h1', [finding('fd-limit', 'playbooks/fix-a.yaml', { ansible_become_user: 'x' })])] }, /remedyVars\.ansible_become_user: .*reserved variable name/],
    ['a variable name that is not an identifier', { hosts: [host('h1', [finding('fd-limit', 'playbooks/fix-a.yaml', { 'a b': 'x' })])] }, /remedyVars\.a b: a variable name is/],
    ['a host listed twice', { hosts: [host('h1', []), host('h1', [])] }, /^\/a\.json: hosts\[1\]\.name: host "h1" is listed twice/],
  ];
  for (const [what, data, message] of cases) {
    it(`refuses ${what}`, () => {
      expect(() => parseAudit(data, '/a.json')).toThrow(InputError);
      expect(() => parseAudit(data, '/a.json')).toThrow(message);
    });
  }

  it('refuses a file that is not JSON, naming it', () => {
    const file = join(dir(), 'broken.json');
    writeFileSync(file, '{"hosts": [');
    expect(() => readAuditFile(file)).toThrow(/^.*broken\.json is not an audit JSON file \(mtafleet audit --format json\): not valid JSON/);
    expect(() => readAuditFile(join(dir(), 'missing.json'))).toThrow(/^cannot read audit file .*missing\.json: /);
  });

  it('refuses an audit host the inventory does not have, before contacting any host', async () => {
    const w = world('stranger');
    const data = { hosts: [host('h1', [finding('fd-limit', 'playbooks/fix-a.yaml', { v: '1' })]), host('mta99', [])] };
    await expect(made(w, data)).rejects.toThrow(/^\/audits\/a\.json: host "mta99" of the audit is not in .*inv\.yaml \(an audit of another inventory\?\)$/);
    expect(w.contacted).toEqual([]);
  });
});
