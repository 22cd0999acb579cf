/**
 * Per-queue settings resolved the way PowerMTA resolves them (UG §3.3.10): `<domain>` patterns
 * after `domain-macro` expansion, most specific match wins (exact name, then the longest
 * `*.x` / `[*.]x` suffix, then `*`), directive by directive; blocks nested in a `<virtual-mta>`
 * (or a pool holding it) apply to that virtual MTA's traffic only and win over an equally
 * specific global block;
 * `queue-to` and `<mx-rollup-list>` (§10.9, §10.17) decide which queue a domain's mail is in,
 * and that queue's settings are the ones that apply. Every value carries the file:line that
 * set it. Pure: works on the facts (EffectiveSettings), never on host text.
 */
import { own } from '../util/dict.js';
import type { DomainRule, EffectiveSettings } from './settings.js';

/** PowerMTA's default max-smtp-out per queue (UG §3.3, `max-smtp-out`). */
export const DEFAULT_MAX_SMTP_OUT = 20;

export interface Setting {
  value: string;
  /** `file:line` of the directive. */
  at: string;
  /** The block that set it, as written, e.g. `<domain $yahoo> in <virtual-mta vmta1>`. */
  via: string;
}

/**
 * Valid pattern forms: `*`, `name`, `*.name`, `[*.]name` (macros already expanded), and the
 * named pseudo-domains in braces such as `{sparkpost}` (UG §3.3.10.99), matched by name.
 */
const NAME = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/;
export function validPattern(pattern: string): boolean {
  if (pattern === '*' || /^\{[a-z0-9_.-]+\}$/.test(pattern)) return true;
  const name = pattern.startsWith('[*.]') ? pattern.slice(4) : pattern.startsWith('*.') ? pattern.slice(2) : pattern;
  return NAME.test(name);
}

/**
 * How specifically `pattern` matches `domain` (higher wins), or null when it does not:
 * an exact name beats every wildcard, a longer suffix beats a shorter one, `*` comes last.
 */
export function matchScore(pattern: string, domain: string): number | null {
  const d = domain.toLowerCase();
  if (pattern === '*') return 0;
  if (pattern.startsWith('[*.]')) {
    const base = pattern.slice(4);
    return d === base || d.endsWith(`.${base}`) ? 1 + base.length : null;
  }
  if (pattern.startsWith('*.')) {
    const base = pattern.slice(2);
    return d.endsWith(`.${base}`) ? 1 + base.length : null;
  }
  return pattern === d ? 100_000 : null;
}

/** Host text in evidence: names cut at 100 characters (a config line may hold 4,096). */
const cut = (text: string): string => (text.length > 100 ? `${text.slice(0, 100)}…` : text);

function describe(rule: DomainRule): string {
  const where = rule.vmta ? ` in <virtual-mta ${cut(rule.vmta)}>` : rule.pool ? ` in <virtual-mta-pool ${cut(rule.pool)}>` : '';
  const expanded = rule.written !== rule.pattern ? ` (${cut(rule.pattern)})` : '';
  return `<domain ${cut(rule.written)}>${expanded}${where}`;
}

/** Scope rank for traffic through `vmta`: its own blocks, then its pools', then global; -1 = not applicable. */
function scopeRank(settings: EffectiveSettings, rule: DomainRule, vmta: string | undefined): number {
  if (rule.vmta !== undefined) return rule.vmta === vmta ? 2 : -1;
  if (rule.pool !== undefined) {
    const pool = own(settings.pools, rule.pool);
    return vmta !== undefined && pool?.virtualMtas.includes(vmta) ? 1 : -1;
  }
  return 0;
}

/** Lexicographic comparison of two equally long number tuples. */
function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** The value of `directive` for queue `queue` through `vmta` (any vmta's blocks ignored when not given). */
export function domainSetting(settings: EffectiveSettings, queue: string, directive: string, vmta?: string): Setting | undefined {
  let best: { key: number[]; rule: DomainRule } | undefined;
  for (const rule of settings.rules ?? []) {
    const d = own(rule.directives, directive);
    if (!d) continue;
    const rank = scopeRank(settings, rule, vmta);
    if (rank < 0) continue;
    const score = matchScore(rule.pattern, queue);
    if (score === null) continue;
    // The most specific pattern wins; at equal specificity the vmta's own block, then its
    // pool's, then the global one (so a pool's `<domain *>` default does not override a global
    // `<domain gmail.com>`); then a listed name over a macro-expanded one (UG §3.3.10:
    // "specifically listed domains always take precedence over expanded ones"); then the later block.
    const key = [score, rank, rule.written.includes('$') ? 0 : 1];
    if (!best || compare(key, best.key) >= 0) best = { key, rule };
  }
  if (!best) return undefined;
  const d = own(best.rule.directives, directive)!;
  return { value: d.value, at: d.at, via: describe(best.rule) };
}

/** `*.hotmail.com` style MX patterns of `<mx-rollup-list>` (`*` = any labels). */
function mxMatches(pattern: string, host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (pattern.startsWith('*.')) return h.endsWith(pattern.slice(1));
  return h === pattern;
}

/** §10.17: no rollup when the queue lists more explicit (non-wildcard) MXs than the domain has. */
function allExplicitPresent(settings: EffectiveSettings, queue: string, mxs: string[]): boolean {
  const have = new Set(mxs.map((m) => m.toLowerCase().replace(/\.$/, '')));
  return settings.rollups.filter((r) => r.queue === queue && !r.mx.startsWith('*.')).every((r) => have.has(r.mx));
}

export interface QueueChoice {
  queue: string;
  /** Why mail to the domain is in that queue, when it is not the domain's own queue. */
  via?: string;
}

/**
 * The queue mail to `domain` is queued in: a rollup queue when its lowest-preference MX hosts
 * (`mx`) match an `<mx-rollup-list>` entry (§10.17), else the `queue-to` target (§10.9), else its own.
 */
export function queueFor(settings: EffectiveSettings, domain: string, opts: { vmta?: string; mx?: string[] } = {}): QueueChoice {
  const d = domain.toLowerCase();
  if ((settings.rollups ?? []).some((r) => r.queue === d)) return { queue: d };
  for (const mx of opts.mx ?? []) {
    const rollup = (settings.rollups ?? []).find((r) => mxMatches(r.mx, mx) && allExplicitPresent(settings, r.queue, opts.mx!));
    if (rollup) return { queue: rollup.queue, via: `MX ${mx} matches mx ${rollup.mx} in <mx-rollup-list> (${rollup.at})` };
  }
  const to = domainSetting(settings, d, 'queue-to', opts.vmta);
  if (to) {
    const target = to.value.replace(/^"(.*)"$/, '$1').toLowerCase();
    if (target !== '' && target !== d) return { queue: target, via: `queue-to ${target} in ${to.via} (${to.at})` };
  }
  return { queue: d };
}

export interface Limit {
  value: number;
  /** `file:line`, or `PowerMTA default`. */
  at: string;
  /** What set it, e.g. `<domain $google> (gmail.com) max-smtp-out`. */
  source: string;
}

function intSetting(s: Setting | undefined, name: string): Limit | undefined {
  if (!s) return undefined;
  const m = /^\s*(\d+)\s*$/.exec(s.value);
  return m ? { value: Number(m[1]), at: s.at, source: `${s.via} ${name}` } : undefined;
}

/** max-smtp-out of one queue through one vmta (per source IP): the domain-level limit. */
export function queueMaxSmtpOut(settings: EffectiveSettings, queue: string, vmta?: string): Limit {
  return (
    intSetting(domainSetting(settings, queue, 'max-smtp-out', vmta), 'max-smtp-out') ?? {
      value: DEFAULT_MAX_SMTP_OUT,
      at: 'PowerMTA default',
      source: 'default max-smtp-out',
    }
  );
}

export interface VmtaCeiling {
  vmta: string;
  /** The queue's own limit through this vmta. */
  domain: Limit;
  /** `max-smtp-out` written directly in the `<virtual-mta>` (all its queues together). */
  vmtaCap?: Limit;
  /** min(domain, vmtaCap). */
  value: number;
}

export interface Ceiling {
  queue: string;
  perVmta: VmtaCeiling[];
  /** Σ per vmta, then each pool's `max-smtp-out`, then `total-max-smtp-out`. */
  value: number;
  /** The cap that bounds `value` when it is not the per-queue limits: a pool or the server-wide one. */
  boundBy?: Limit & { kind: 'pool' | 'total' };
}

/**
 * How many connections PowerMTA opens at most for `queue`: its limit through each source vmta
 * (capped by the vmta's own max-smtp-out), summed, then capped by pools and total-max-smtp-out.
 * `vmtas` are the virtual MTAs that carry traffic; none = the server's default source.
 */
export function connectionCeiling(settings: EffectiveSettings, queue: string, vmtas: string[]): Ceiling {
  const perVmta: VmtaCeiling[] = (vmtas.length > 0 ? vmtas : [undefined]).map((name) => {
    const domain = queueMaxSmtpOut(settings, queue, name);
    const v = name !== undefined ? settings.virtualMtas.find((x) => x.name === name) : undefined;
    const vmtaCap = v?.maxSmtpOut;
    return { vmta: name ?? '(default)', domain, vmtaCap, value: Math.min(domain.value, vmtaCap?.value ?? Infinity) };
  });
  let value = perVmta.reduce((a, v) => a + v.value, 0);
  let boundBy: Ceiling['boundBy'];
  for (const [name, pool] of Object.entries(settings.pools)) {
    if (!pool.maxSmtpOut) continue;
    const inPool = perVmta.filter((v) => pool.virtualMtas.includes(v.vmta));
    const sum = inPool.reduce((a, v) => a + v.value, 0);
    if (inPool.length > 0 && pool.maxSmtpOut.value < sum) {
      value -= sum - pool.maxSmtpOut.value;
      boundBy = { ...pool.maxSmtpOut, source: `<virtual-mta-pool ${name}> max-smtp-out`, kind: 'pool' };
    }
  }
  const total = settings.totalMaxSmtpOutAt;
  if (settings.totalMaxSmtpOut !== undefined && settings.totalMaxSmtpOut < value) {
    value = settings.totalMaxSmtpOut;
    boundBy = { value, at: total ?? 'config', source: 'total-max-smtp-out', kind: 'total' };
  }
  return { queue, perVmta, value, boundBy };
}
