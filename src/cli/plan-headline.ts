/** The lines apply and approve print about a plan before acting on it. */
import type { PlanDocument } from '../engine/index.js';
import { countChanges, rollingText } from '../report/index.js';
import { safeLine } from '../util/sanitize.js';

export function planHeadline(planFile: string, doc: PlanDocument): string {
  const n = countChanges(doc);
  return (
    `${safeLine(`plan ${planFile}: ${n.changes} change(s) on ${n.hostsChanging} of ${n.hosts} host(s), made ${doc.created} by ${doc.user}`)}\nplan digest (sha256): ${safeLine(doc.digest)}\n` +
    (doc.fromAudit
      ? `${safeLine(`from audit ${doc.fromAudit.audit.path} (sha256 ${doc.fromAudit.audit.sha256})`)}\n` +
        doc.fromAudit.sources.map((s) => `${safeLine(`remedy ${s.playbook.path} (sha256 ${s.playbook.sha256}) on ${s.limit}`)}\n`).join('')
      : `${safeLine(`playbook ${doc.playbook.path} (sha256 ${doc.playbook.sha256})`)}\n`) +
    doc.plays.flatMap((p) => rollingText(p.rolling).map((l) => `${safeLine(`play "${p.name}": ${l}`)}\n`)).join('')
  );
}
