/**
 * `apply --require-approval ALLOWED_SIGNERS [--min-approvals N]`: the allowed signers file is
 * read first (malformed: exit 1 with file and line), then the plan's approvals are judged as the
 * plan is read, against its content, before anything else (exit 3 when not approved).
 */
import { loadAllowedSigners, requireApprovals, type Signer } from '../approval/index.js';
import type { ApprovalCheck } from '../engine/planfile.js';
import { safeLine } from '../util/sanitize.js';

export interface ApprovalGate {
  check: ApprovalCheck;
  /** The approvers, once `check` has passed. */
  signers(): Signer[];
}

export function approvalGate(allowedFile: string, planFile: string, minApprovals: number): ApprovalGate {
  const allowed = loadAllowedSigners(allowedFile);
  let signers: Signer[] | undefined;
  return {
    check(doc, contentDigest) {
      const verdict = requireApprovals(doc.approvals, contentDigest, allowed, { planFile, allowedFile, minApprovals });
      signers = verdict.signers;
      for (const p of verdict.problems) process.stderr.write(`${safeLine(`warning: ignored ${p}`)}\n`);
      process.stderr.write(`${safeLine(`approved by ${signers.map((s) => `${s.principal} (${s.keyType} ${s.key})`).join(', ')}`)}\n`);
    },
    signers() {
      if (signers === undefined) throw new Error('approval gate: signers asked for before the plan was checked');
      return signers;
    },
  };
}
