/**
 * `plan --from-audit AUDIT.json`: each host's findings become the plays of their remedy
 * playbooks, planned with the variables the audit computed, exactly as
 * `mtafleet plan playbooks/X.yaml --limit HOSTS -e k=v ...` would plan them (the planner is the
 * same: planPlaybook). Hosts with the same remedy and the same variables share one source, so a
 * playbook's rolling rules (serial, max_fail_percentage, health gate) hold across them.
 *
 * The plan records per source its playbook (path + sha256), -e vars and limit: `apply` re-makes
 * every source with the planner and refuses what it does not give (verifyFromAuditSources, the
 * same check as any plan, plan-source.ts). The audit itself is not trusted for more than naming
 * a shipped playbook and values for its variables, which `-e` could give as well.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Inventory } from '../inventory/types.js';
import { inventoryBytes } from '../inventory/index.js';
import { selectHosts } from '../inventory/pattern.js';
import { loadPlaybook, type Playbook } from '../playbook/index.js';
import type { Vars } from '../playbook/template.js';
import { InputError, InventoryError, PlanFileError } from '../util/errors.js';
import { isSecretName } from '../util/secret.js';
import type { AuditInput, AuditInputFinding } from './audit-input.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import { currentUser } from './run-record.js';
import { playHosts, type EngineDeps, type FleetOptions } from './fleet.js';
import type { StepKinds } from './plan-host.js';
import type { FromAudit, FromAuditSource, PlanBody, PlanDocument } from './planfile.js';
import { loadPlanPlaybook, verifyPlanSource } from './plan-source.js';
import { planPlaybook } from './run.js';

/** The playbooks shipped with mtafleet (the audit names them as playbooks/NAME.yaml). */
export const SHIPPED_PLAYBOOKS = fileURLToPath(new URL('../../playbooks/', import.meta.url));

/**
 * The playbook mtafleet's diagnosis names for each finding kind (src/diagnose: system.ts,
 * delivery.ts). An audit file naming another playbook for a kind (spool-finalize.yaml, which
 * deletes, for a port finding) is not followed: the file may come from anywhere.
 */
export const DIAGNOSED_REMEDIES: Readonly<Record<string, string>> = Object.freeze({
  'spool-io': 'spool-migrate-nvme.yaml',
  'fd-limit': 'fd-limit.yaml',
  'port-exhaustion': 'network-tuning.yaml',
  'thread-contention': 'pmta-threads.yaml',
  'isp-limit': 'isp-limits.yaml',
});

export interface FromAuditOptions extends FleetOptions {
  audit: AuditInput;
  /** -e k=v given with --from-audit: over the audit's values, for every remedy (as -e over play vars). */
  extraVars?: Record<string, unknown>;
  /** Where remedy playbooks are looked up (tests); default the shipped ones. */
  playbookDir?: string;
  /** Finding kind -> playbook file name in playbookDir (tests); default DIAGNOSED_REMEDIES. */
  remedies?: Readonly<Record<string, string>>;
}

type Unremedied = FromAudit['unremedied'][number];

interface Group {
  playbook: Playbook;
  vars: Record<string, unknown>;
  hosts: string[];
  findings: FromAuditSource['findings'];
}

/** Audit text quoted in a reason: the audit's own report has the whole of it. */
const clip = (text: string): string => (text.length > 600 ? `${text.slice(0, 600)}...` : text);

/** What a finding's remedy resolves to: a playbook and its variables, or why there is none. */
function remedyOf(
  f: AuditInputFinding,
  overrides: Record<string, unknown>,
  dir: string,
  remedies: Readonly<Record<string, string>>,
  load: (file: string) => Playbook,
): { playbook: Playbook; vars: Record<string, unknown> } | { reason: string } {
  if (f.remedy === null) {
    const instead = f.evidence?.find((e) => /^instead\b/i.test(e)) ?? f.title;
    return { reason: `no playbook fixes this: a person must act${instead ? ` (${clip(instead)})` : ''}` };
  }
  const m = /^(?:\.\/)?playbooks\/([A-Za-z0-9][A-Za-z0-9._-]*\.ya?ml)$/.exec(f.remedy.trim());
  const file = m ? join(dir, m[1]!) : undefined;
  if (!file || !existsSync(file)) {
    return { reason: `the remedy ${JSON.stringify(clip(f.remedy))} is not a playbook shipped with mtafleet (only playbooks/*.yaml of this mtafleet are planned from an audit)` };
  }
  const expected = Object.hasOwn(remedies, f.kind) ? remedies[f.kind] : undefined;
  if (expected !== m![1]) {
    return {
      reason: `the remedy ${JSON.stringify(clip(f.remedy))} is not the playbook mtafleet's audit names for ${f.kind}${expected ? ` (playbooks/${expected})` : ' (none: a person must act)'}; not followed`,
    };
  }
  const vars: Record<string, unknown> = { ...(f.remedyVars ?? {}), ...overrides };
  const unknown = Object.keys(vars).filter((k) => vars[k] === '?');
  if (unknown.length > 0) {
    return { reason: `the audit could not tell ${unknown.join(', ')} (given as "?"): set ${unknown.length > 1 ? 'them' : 'it'} with -e ${unknown.map((k) => `${k}=...`).join(' -e ')} or in the inventory and audit again` };
  }
  const secret = Object.keys(vars).find(isSecretName);
  if (secret !== undefined) return { reason: `variable ${secret} looks like a secret: a plan cannot carry secrets (use mtafleet run)` };
  return { playbook: load(file), vars };
}

/** The hosts a play's `hosts:` pattern selects; none (not an error) where it names nothing in this inventory. */
function playTargets(inventory: Inventory, pattern: string): string[] {
  try {
    return playHosts(inventory, pattern).map((h) => h.name);
  } catch (err) {
    if (err instanceof InventoryError) return [];
    throw err;
  }
}

/** A --limit pattern that selects exactly `hosts` (host names joined by ","), or undefined. */
function exactLimit(inventory: Inventory, hosts: string[]): string | undefined {
  const pattern = hosts.join(',');
  if (hosts.some((h) => h.includes(',') || h.trim() !== h || /^[&!~]/.test(h))) return undefined;
  try {
    const got = selectHosts(inventory, pattern).map((h) => h.name);
    return got.length === hosts.length && hosts.every((h) => got.includes(h)) ? pattern : undefined;
  } catch {
    return undefined;
  }
}

/** Findings -> groups of (playbook, vars, hosts), and what is not remedied with why. Pure but for reading playbooks. */
export function remedyGroups(opts: FromAuditOptions): { groups: Group[]; unremedied: Unremedied[]; healthy: string[] } {
  const { audit, inventory } = opts;
  const missing = audit.hosts.find((h) => !inventory.hosts.has(h.name));
  if (missing) throw new InputError(`${audit.path}: host ${JSON.stringify(missing.name)} of the audit is not in ${inventory.file} (an audit of another inventory?)`);
  const limited = opts.limit !== undefined ? new Set(selectHosts(inventory, opts.limit).map((h) => h.name)) : undefined;
  const dir = opts.playbookDir ?? SHIPPED_PLAYBOOKS;
  const loaded = new Map<string, Playbook>();
  const load = (file: string): Playbook => loaded.get(file) ?? loaded.set(file, loadPlaybook(file)).get(file)!;
  const groups = new Map<string, Group>();
  const unremedied: Unremedied[] = [];
  const healthy: string[] = [];
  for (const host of audit.hosts) {
    if (limited && !limited.has(host.name)) continue;
    if (!host.reachable || host.error !== null) {
      unremedied.push({ host: host.name, kind: null, severity: null, reason: host.reachable ? `the audit could not probe all of it: ${host.error}` : `not audited: ${host.error ?? 'unreachable'}` });
      if (!host.reachable) continue;
    }
    const actionable = host.findings.filter((f) => f.severity !== 'info');
    if (actionable.length === 0 && host.reachable && host.error === null) healthy.push(host.name);
    for (const f of actionable) {
      const r = remedyOf(f, opts.extraVars ?? {}, dir, opts.remedies ?? DIAGNOSED_REMEDIES, load);
      if ('reason' in r) {
        unremedied.push({ host: host.name, kind: f.kind, severity: f.severity, reason: r.reason });
        continue;
      }
      const targets = new Set(r.playbook.plays.flatMap((p) => playTargets(inventory, p.hosts)));
      if (!targets.has(host.name)) {
        const patterns = r.playbook.plays.map((p) => p.hosts).join(', ');
        unremedied.push({ host: host.name, kind: f.kind, severity: f.severity, reason: `not one of the hosts ${basename(r.playbook.file)} runs on (hosts: ${patterns})` });
        continue;
      }
      const key = `${r.playbook.file}\0${canonicalJson(r.vars)}`;
      const group = groups.get(key) ?? groups.set(key, { playbook: r.playbook, vars: r.vars, hosts: [], findings: [] }).get(key)!;
      if (!group.hosts.includes(host.name)) group.hosts.push(host.name);
      group.findings.push({ host: host.name, kind: f.kind, severity: f.severity });
    }
  }
  for (const g of groups.values()) {
    if (exactLimit(inventory, g.hosts) !== undefined) continue;
    // A name a --limit pattern cannot select alone (a glob character in it): not planned rather than planned wider.
    for (const f of g.findings) unremedied.push({ ...f, reason: 'its host name cannot be selected exactly with --limit (it reads as a pattern): plan this remedy by hand' });
    g.hosts = [];
  }
  return { groups: [...groups.values()].filter((g) => g.hosts.length > 0), unremedied, healthy };
}

/** Observe + plan every remedy for its hosts; nothing is changed. */
export async function planFromAudit(opts: FromAuditOptions, deps: EngineDeps = {}): Promise<PlanBody> {
  const { groups, unremedied, healthy } = remedyGroups(opts);
  const parts: Array<{ group: Group; body: PlanBody }> = [];
  for (const group of groups) {
    const body = await planPlaybook({ playbook: group.playbook, inventory: opts.inventory, limit: exactLimit(opts.inventory, group.hosts)!, extraVars: group.vars, forks: opts.forks, resolve: opts.resolve }, deps);
    parts.push({ group, body });
  }
  deferConflicts(parts, unremedied);
  const plays: PlanBody['plays'] = [];
  const sources: FromAuditSource[] = [];
  for (const { group, body } of parts) {
    if (group.hosts.length === 0) continue;
    sources.push({
      playbook: { path: body.playbook.path, sha256: body.playbook.sha256 },
      extraVars: body.extraVars,
      limit: exactLimit(opts.inventory, group.hosts)!,
      firstPlay: plays.length,
      playCount: body.plays.length,
      findings: group.findings,
    });
    for (const play of body.plays) plays.push({ ...play, index: plays.length });
  }
  const first = parts[0]?.body;
  return {
    format: 'mtafleet-plan',
    version: 1,
    created: first?.created ?? new Date().toISOString(),
    user: first?.user ?? currentUser(),
    playbook: { path: opts.audit.path, sha256: opts.audit.sha256 },
    inventory: first?.inventory ?? { path: opts.inventory.file, sha256: sha256Hex(inventoryBytes(opts.inventory)) },
    limit: opts.limit ?? null,
    extraVars: { ...(opts.extraVars ?? {}) },
    plays,
    fromAudit: { audit: { path: opts.audit.path, sha256: opts.audit.sha256 }, sources, unremedied, healthy },
  };
}

/**
 * A host's remedies are planned against the host as it is now, each on its own. When an earlier
 * remedy changes something a later one observed (both edit /etc/pmta/config), the later plan
 * would be stale at apply and refused there as drift: it is left out of this plan instead, and
 * listed as deferred to a plan made after this one is applied.
 */
function deferConflicts(parts: Array<{ group: Group; body: PlanBody }>, unremedied: Unremedied[]): void {
  const changedBy = new Map<string, Map<string, string>>(); // host -> observation key -> remedy that changes it
  for (const part of parts) {
    const name = basename(part.body.playbook.path);
    for (const host of [...part.group.hosts]) {
      const hostPlans = part.body.plays.flatMap((p) => p.hosts.filter((h) => h.host === host));
      const earlier = changedBy.get(host) ?? new Map<string, string>();
      const clash = hostPlans.flatMap((h) => Object.keys(h.observations)).find((k) => earlier.has(k));
      if (clash !== undefined) {
        for (const play of part.body.plays) {
          play.hosts = play.hosts.filter((h) => h.host !== host);
          play.unreachable = play.unreachable.filter((u) => u.host !== host);
        }
        part.group.hosts = part.group.hosts.filter((h) => h !== host);
        for (const f of part.group.findings.filter((x) => x.host === host)) {
          unremedied.push({ ...f, reason: `deferred: ${name} observes ${clash}, which ${earlier.get(clash)} in this plan changes; apply this plan, audit again and plan again` });
        }
        part.group.findings = part.group.findings.filter((x) => x.host !== host);
        continue;
      }
      for (const h of hostPlans) {
        for (const t of h.tasks) if (t.plan.kind === 'changes') for (const k of Object.keys(t.observations)) earlier.set(k, name);
      }
      changedBy.set(host, earlier);
    }
  }
}

/**
 * apply's check of a from-audit plan: its sources cover its plays exactly, in order, and each
 * source's plays are what its playbook gives for its limit and -e vars (verifyPlanSource, the
 * check every plan gets). Nothing the audit said is taken on trust here.
 */
export async function verifyFromAuditSources(doc: PlanDocument, inventory: Inventory, file: string, kinds?: StepKinds): Promise<void> {
  const fa = doc.fromAudit!;
  const fail = (what: string): never => {
    throw new PlanFileError(`${file}: ${what}; the plan is not what its remedy playbooks give (hand-edited and resealed?); make a new plan`);
  };
  let next = 0;
  for (const [i, s] of fa.sources.entries()) {
    if (s.firstPlay !== next) fail(`remedy ${i + 1} starts at play ${s.firstPlay + 1}, not right after the previous one (play ${next + 1})`);
    next += s.playCount;
  }
  if (next !== doc.plays.length) fail(`the remedies account for ${next} play(s), the plan has ${doc.plays.length}`);
  for (const [i, play] of doc.plays.entries()) if (play.index !== i) fail(`play ${i + 1} is numbered ${play.index}`);
  for (const s of fa.sources) {
    const { fromAudit: _, ...rest } = doc;
    const sub: PlanDocument = {
      ...rest,
      playbook: { path: s.playbook.path, sha256: s.playbook.sha256 },
      extraVars: s.extraVars,
      limit: s.limit,
      plays: doc.plays.slice(s.firstPlay, s.firstPlay + s.playCount).map((p, k) => ({ ...p, index: k })),
    };
    await verifyPlanSource(sub, loadPlanPlaybook(sub, file), inventory, file, kinds);
  }
}

/** The equivalent `-e` words of a source, for the ticket. */
export function sourceVars(vars: Vars): string[] {
  return Object.entries(vars).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
}
