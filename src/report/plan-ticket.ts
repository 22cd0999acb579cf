/**
 * A from-audit plan (`plan --from-audit`) as one Markdown change ticket: what the audit found
 * per host, which remedy playbook fixes it with which variables, what needs a person and why,
 * then every remedy's plan (diffs, commands, rollback) and how to apply and undo it. The text
 * format gets the same summary above the plan. Everything from the audit or a host is text:
 * Markdown through the one escaper and fence helper, terminal lines through the one sanitiser.
 */
import { type FromAudit, type PlanBody } from '../engine/index.js';
import { plansChange } from '../engine/plan-host.js';
import { countChanges, renderPlanMarkdown, renderPlanText } from '../report/index.js';
import { quote } from '../transport/quote.js';
import { codeBlock, escapeMarkdown as md } from '../util/markdown.js';
import { safeLine } from '../util/sanitize.js';

const shell = (words: string[]): string => words.map((w) => quote(w.replace(/\0/g, ''))).join(' ');

function varWords(vars: Record<string, unknown>): string[] {
  return Object.entries(vars).flatMap(([k, v]) => ['-e', `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`]);
}

/** The part of the plan one source planned, as a plan of its own (for the existing renderers). */
function sourceBody(body: PlanBody, i: number): PlanBody {
  const s = body.fromAudit!.sources[i]!;
  const { fromAudit: _, ...rest } = body;
  return { ...rest, playbook: s.playbook, extraVars: s.extraVars, limit: s.limit, plays: body.plays.slice(s.firstPlay, s.firstPlay + s.playCount) };
}

function changesOf(body: PlanBody, host: string, i: number): number {
  const s = body.fromAudit!.sources[i]!;
  return body.plays
    .slice(s.firstPlay, s.firstPlay + s.playCount)
    .flatMap((p) => p.hosts.filter((h) => h.host === host))
    .reduce((n, h) => n + h.tasks.reduce((m, t) => m + (t.plan.kind === 'changes' && plansChange(t) ? t.plan.changes.length : 0), 0), 0);
}

function refusedOf(body: PlanBody, host: string, i: number): string | undefined {
  const s = body.fromAudit!.sources[i]!;
  for (const p of body.plays.slice(s.firstPlay, s.firstPlay + s.playCount)) {
    const h = p.hosts.find((x) => x.host === host);
    const t = h?.tasks.find((x) => x.plan.kind === 'refused');
    if (t && t.plan.kind === 'refused') return `task "${t.name}": ${t.plan.reason}`;
    const u = p.unreachable.find((x) => x.host === host);
    if (u) return `unreachable: ${u.error}`;
  }
  return undefined;
}

function playbookName(path: string): string {
  const m = /(playbooks\/[^/]+)$/.exec(path);
  return m ? m[1]! : path;
}

export function renderFromAuditMarkdown(body: PlanBody, digest: string, planFile?: string): string {
  const fa: FromAudit = body.fromAudit!;
  // countChanges counts a host once per play; a ticket counts hosts.
  const n = hostTotals(body);
  const out: string[] = [
    `# Change ticket: remedies for the findings of ${md(fa.audit.path)}`,
    '',
    `- made ${md(body.created)} by ${md(body.user)} with \`mtafleet plan --from-audit\``,
    `- audit ${md(fa.audit.path)}, sha256 \`${fa.audit.sha256}\``,
    `- inventory ${md(body.inventory.path)}, sha256 \`${body.inventory.sha256}\``,
    ...(body.limit ? [`- limit ${md(body.limit)}`] : []),
    `- plan digest \`${digest}\``,
    `- ${fa.sources.length} remedy playbook run(s); ${n.changes} change(s) on ${n.changing} of ${n.hosts} host(s)${n.refused ? `, ${n.refused} refused` : ''}`,
    '',
    '## Findings and remedies',
    '',
    '| host | finding | severity | remedy | variables | planned |',
    '|---|---|---|---|---|---|',
  ];
  fa.sources.forEach((s, i) => {
    for (const f of s.findings) {
      const refused = refusedOf(body, f.host, i);
      const planned = refused ? `**refused**: ${md(refused)}` : `${changesOf(body, f.host, i)} change(s)`;
      const vars = Object.entries(s.extraVars).map(([k, v]) => md(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)).join(', ');
      out.push(`| ${md(f.host)} | ${md(f.kind)} | ${md(f.severity)} | ${md(playbookName(s.playbook.path))} (remedy ${i + 1}) | ${vars || '(defaults)'} | ${planned} |`);
    }
  });
  out.push('');
  out.push('## Not remedied by this plan', '');
  if (fa.unremedied.length === 0) out.push('Every warn or critical finding has a remedy in this plan.', '');
  else {
    out.push('| host | finding | severity | why |', '|---|---|---|---|');
    for (const u of fa.unremedied) out.push(`| ${md(u.host)} | ${md(u.kind ?? '-')} | ${md(u.severity ?? '-')} | ${md(u.reason)} |`);
    out.push('');
  }
  out.push(`Hosts with no warn or critical finding (left alone): ${fa.healthy.length > 0 ? fa.healthy.map(md).join(', ') : 'none'}.`, '');
  fa.sources.forEach((s, i) => {
    const words = ['mtafleet', 'plan', s.playbook.path, '-i', body.inventory.path, '--limit', s.limit, ...varWords(s.extraVars)];
    out.push(
      `## Remedy ${i + 1}: ${md(playbookName(s.playbook.path))} on ${s.limit.split(',').map(md).join(', ')}`,
      '',
      `- playbook ${md(s.playbook.path)}, sha256 \`${s.playbook.sha256}\``,
      '- the same plan by hand:',
      '',
      codeBlock(shell(words), 'sh'),
      '',
    );
    const part = renderPlanMarkdown(sourceBody(body, i)).split('\n');
    const from = part.findIndex((l) => l.startsWith('## Play: '));
    // The part's own "# Change plan" header is replaced by the lines above; its plays are one level down.
    out.push(...(from >= 0 ? part.slice(from).map((l) => (/^#{2,4} /.test(l) ? `#${l}` : l)) : []), '');
  });
  const file = planFile ?? 'PLANFILE';
  out.push(
    '## Apply and roll back',
    '',
    codeBlock(`${shell(['mtafleet', 'apply', file])}\n${shell(['mtafleet', 'audit', '-i', body.inventory.path])}   # the remedied findings should be gone\nmtafleet rollback RUN_ID   # undoes the changes of that apply`, 'sh'),
    '',
    '`apply` re-makes every remedy from its playbook and refuses a host that changed since this plan was made.',
    '',
    '## Approval',
    '',
    '- [ ] reviewed by:',
    '- [ ] approved by:',
    '',
  );
  return out.join('\n');
}

/** Text: what the audit found and which remedy takes it, then the plan as `plan` prints it. */
export function renderFromAuditText(body: PlanBody, opts: { diff: boolean }): string {
  const fa = body.fromAudit!;
  const out: string[] = [`FROM AUDIT ${fa.audit.path} (sha256 ${fa.audit.sha256.slice(0, 12)})`];
  fa.sources.forEach((s, i) => {
    const vars = Object.entries(s.extraVars).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
    out.push(`  remedy ${i + 1}: ${playbookName(s.playbook.path)} on ${s.limit}${vars ? `  (-e ${vars})` : ''}`);
    for (const f of s.findings) out.push(`    ${f.host}: ${f.kind} (${f.severity})`);
  });
  if (fa.unremedied.length > 0) {
    out.push('  not remedied by this plan:');
    for (const u of fa.unremedied) out.push(`    ${u.host}${u.kind ? `: ${u.kind} (${u.severity})` : ''}: ${u.reason}`);
  }
  out.push(`  no warn or critical finding: ${fa.healthy.length > 0 ? fa.healthy.join(', ') : 'none'}`, '');
  // renderPlanText's last line counts a host once per play: a host with two remedies is one host.
  const plan = renderPlanText(body, opts).replace(/[^\n]*\n$/, '');
  const t = hostTotals(body);
  const total = `${t.changes} change(s) on ${t.changing} of ${t.hosts} host(s)${t.refused ? `, ${t.refused} host(s) refused` : ''} (${fa.sources.length} remedy playbook run(s))`;
  return out.map(safeLine).join('\n') + '\n' + plan + total + '\n';
}

function hostTotals(body: PlanBody): { changes: number; changing: number; hosts: number; refused: number } {
  const hosts = body.plays.flatMap((p) => p.hosts);
  const names = (pred: (h: (typeof hosts)[number]) => boolean) => new Set(hosts.filter(pred).map((h) => h.host)).size;
  return {
    changes: countChanges(body).changes,
    changing: names((h) => h.tasks.some((t) => t.plan.kind === 'changes')),
    hosts: names(() => true),
    refused: names((h) => h.tasks.some((t) => t.plan.kind === 'refused')),
  };
}
