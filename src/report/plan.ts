/**
 * Text and Markdown renderings of plans and run results. Plans and diffs are data; these
 * functions only format them. Much of it is host text (file contents, errors, observed
 * values): text output goes line by line through the one sanitiser, Markdown through the
 * one escaper and fence helper, so a host can neither drive the terminal nor the ticket.
 */
import type { Change, Diff } from '../steps/types.js';
import { codeBlock, escapeMarkdown as md } from '../util/markdown.js';
import { safeJson, safeLine } from '../util/sanitize.js';
import { describeAction } from '../engine/execute.js';
import type { PlanBody, Rolling } from '../engine/planfile.js';
import { plansChange, type PlannedTask } from '../engine/plan-host.js';
import { describeRolling, rollingText } from './rolling-text.js';
import type { RunResult } from '../engine/run-record.js';

export interface PlanRenderOptions {
  /** Show diffs (text format); Markdown always shows them. */
  diff: boolean;
}

function diffText(d: Diff): string {
  switch (d.type) {
    case 'file':
      return d.unified
        .split('\n')
        .filter((l) => !l.startsWith('====') && l !== '')
        .join('\n');
    case 'value':
      return `${d.name}: ${d.before ?? '(unset)'} -> ${d.after ?? '(unset)'}`;
    case 'text':
      return d.text;
  }
}

function rollbackText(c: Change): string {
  return c.undo.length === 0 ? 'cannot be undone by mtafleet' : c.undo.map(describeAction).join('; ');
}

function indent(text: string, pad: string): string[] {
  return text.split('\n').map((l) => pad + l);
}

/** Every element is one output line: a newline inside host text shows as `\n`. */
function terminalLines(lines: string[]): string {
  return lines.map(safeLine).join('\n') + '\n';
}

/** What a change runs on the host, in order: its actions, then the checks of its result. */
function actionLines(c: Change): Array<['do' | 'verify', string]> {
  return [...c.do.map((a) => ['do', describeAction(a)] as ['do', string]), ...(c.verify ?? []).map((a) => ['verify', describeAction(a)] as ['verify', string])];
}

function actionsMarkdown(c: Change): string[] {
  const lines = actionLines(c);
  const block = (label: string, kind: 'do' | 'verify'): string[] => {
    const text = lines.filter(([k]) => k === kind).map(([, t]) => t).join('\n');
    return text === '' ? [] : [label, '', codeBlock(text, 'sh'), ''];
  };
  return [...block('Runs:', 'do'), ...block('Then checks:', 'verify')];
}

export function countChanges(body: PlanBody): { changes: number; hostsChanging: number; hosts: number; refused: number } {
  let changes = 0;
  let hostsChanging = 0;
  let hosts = 0;
  let refused = 0;
  for (const play of body.plays) {
    for (const h of play.hosts) {
      hosts++;
      const n = h.tasks.reduce((s, t) => s + (t.plan.kind === 'changes' && plansChange(t) ? t.plan.changes.length : 0), 0);
      changes += n;
      if (n > 0) hostsChanging++;
      if (h.tasks.some((t) => t.plan.kind === 'refused')) refused++;
    }
  }
  return { changes, hostsChanging, hosts, refused };
}

/** What a plan says of how a task's result is judged: ignore_errors, changed_when, failed_when. */
export function taskFlags(t: Pick<PlannedTask, 'ignoreErrors' | 'result'>): string {
  const flags = [
    ...(t.ignoreErrors ? ['ignore_errors'] : []),
    ...(t.result?.changedWhen ? [`changed_when: ${t.result.changedWhen.join(' and ')}`] : []),
    ...(t.result?.failedWhen ? [`failed_when: ${t.result.failedWhen.join(' and ')}`] : []),
  ];
  return flags.length > 0 ? ` (${flags.join('; ')})` : '';
}

export function renderPlanText(body: PlanBody, opts: PlanRenderOptions): string {
  const out: string[] = [];
  for (const play of body.plays) {
    out.push(`PLAY ${play.name}`);
    for (const l of rollingText(play.rolling)) out.push(`  ${l}`);
    for (const h of play.hosts) {
      out.push(`  ${h.host}  (observed ${h.fingerprint.slice(0, 12)})`);
      for (const t of h.tasks) {
        const who = `${t.handler ? 'handler' : 'task'} "${t.name}" [${t.kind}]${taskFlags(t)}`;
        if (t.predicted) out.push(`    ? ${who}: PREDICTED, re-planned at apply: ${t.predicted}`);
        if (t.plan.kind === 'noop') out.push(`    = ${who}: no change: ${t.plan.reason}`);
        else if (t.plan.kind === 'refused') out.push(`    ! ${who}: REFUSED: ${t.plan.reason}`);
        else {
          out.push(`    ~ ${who}`);
          for (const c of t.plan.changes) {
            out.push(`      * ${c.summary}  (${c.label})`);
            if (opts.diff) out.push(...indent(diffText(c.diff), '          '));
            for (const [label, text] of actionLines(c)) out.push(...indent(text, '            ').map((l, i) => (i === 0 ? `        ${label}: ${l.trimStart()}` : l)));
            out.push(`        rollback: ${rollbackText(c)}`);
          }
        }
      }
    }
    for (const u of play.unreachable) out.push(`  ${u.host}  ${(u.status ?? 'unreachable').toUpperCase()}: ${u.error}`);
  }
  const n = countChanges(body);
  out.push('');
  out.push(`${n.changes} change(s) on ${n.hostsChanging} of ${n.hosts} host(s)${n.refused ? `, ${n.refused} host(s) refused` : ''}`);
  return terminalLines(out);
}

/** One task's changes with their diffs (run --diff). */
export function renderChangesText(host: string, task: string, changes: Change[]): string {
  const out = [`${host}: task "${task}"`];
  for (const c of changes) out.push(`  * ${c.summary}  (${c.label})`, ...indent(diffText(c.diff), '      '));
  return terminalLines(out);
}

export function renderPlanMarkdown(body: PlanBody, digest?: string): string {
  const n = countChanges(body);
  const out: string[] = [
    `# Change plan: ${md(body.playbook.path)}`,
    '',
    `- created ${md(body.created)} by ${md(body.user)}`,
    `- playbook sha256 \`${body.playbook.sha256}\``,
    `- inventory ${md(body.inventory.path)}, sha256 \`${body.inventory.sha256}\``,
    ...(body.limit ? [`- limit \`${body.limit}\``] : []),
    ...(digest ? [`- plan digest \`${digest}\``] : []),
    `- ${n.changes} change(s) on ${n.hostsChanging} of ${n.hosts} host(s)${n.refused ? `, ${n.refused} refused` : ''}`,
    '',
  ];
  for (const play of body.plays) {
    out.push(`## Play: ${md(play.name)}`, '', ...rollingMarkdown(play.rolling));
    for (const h of play.hosts) {
      out.push(`### ${md(h.host)}`, '', `Observed fingerprint \`${h.fingerprint.slice(0, 16)}\`.`, '');
      out.push('| task | change | label |', '|---|---|---|');
      for (const t of h.tasks) {
        const name = md(`${t.handler ? '(handler) ' : ''}${t.name}${taskFlags(t)}`);
        if (t.predicted) out.push(`| ${name} | **predicted, re-planned at apply**: ${md(t.predicted)} | predicted |`);
        if (t.plan.kind === 'changes') for (const c of t.plan.changes) out.push(`| ${name} | ${md(c.summary)} | ${c.label} |`);
        else if (t.plan.kind === 'noop') out.push(`| ${name} | no change: ${md(t.plan.reason)} | |`);
        else out.push(`| ${name} | **refused**: ${md(t.plan.reason)} | |`);
      }
      out.push('');
      for (const t of h.tasks) {
        if (t.plan.kind !== 'changes') continue;
        for (const c of t.plan.changes) {
          out.push(`#### ${md(c.summary)} (${c.label})`, '', codeBlock(diffText(c.diff), 'diff'), '', `Rollback: ${md(rollbackText(c))}`, '');
          out.push(...actionsMarkdown(c));
        }
      }
    }
    for (const u of play.unreachable) out.push(`### ${md(u.host)}`, '', `**${NO_PLAN_LABEL[u.status ?? 'unreachable']}**: ${md(u.error)}`, '');
  }
  return out.join('\n');
}

const NO_PLAN_LABEL = { unreachable: 'Unreachable', failed: 'Failed', refused: 'Refused' } as const;

/** The play's rolling rules as a list; a gate command in a fence no backtick run inside it can close. */
function rollingMarkdown(rolling: Rolling): string[] {
  const out: string[] = [];
  for (const l of describeRolling(rolling)) {
    out.push(`- ${l.label}: ${l.text}`);
    if (l.command === undefined) continue;
    out.push('', ...codeBlock(l.command, 'sh').split('\n').map((x) => `  ${x}`), '');
  }
  return [...out, ''];
}

export function renderRunText(result: RunResult): string {
  const out: string[] = [];
  for (const h of result.hosts) {
    out.push(`${h.name.padEnd(20)} ${h.status.padEnd(11)} ${String(h.changes).padStart(3)} change(s)${h.error ? `  ${h.error}` : ''}`);
    for (const i of h.ignored ?? []) out.push(`${''.padEnd(20)} task "${i.task}" FAILED: ${i.error} ...ignoring`);
  }
  if (result.notRun.length > 0) out.push(`not run: ${result.notRun.join(', ')}`);
  if (result.stopped) out.push(`stopped: ${result.stopped}`);
  const s = result.summary;
  out.push(`run ${result.runId}${result.check ? ' (check: nothing changed)' : ''}: ok=${s.ok} changed=${s.changed} failed=${s.failed} unreachable=${s.unreachable} refused=${s.refused}${s.ignored ? ` ignored=${s.ignored}` : ''}`);
  return terminalLines(out);
}

/** The run JSON of DESIGN.md (notRun and stopped added). */
export function runJson(result: RunResult): string {
  return safeJson(result, 2) + '\n';
}
