/**
 * Plan approvals: SSH signatures (SSHSIG, namespace "mtafleet-plan") over the plan's digest,
 * judged against an allowed_signers file. The signed message is exactly the 64 ASCII hex
 * characters of the plan's `digest` field, no newline. The digest covers the plan body; the
 * `approvals` list sits outside it, so signing does not change the digest.
 */
import { RefusedError } from '../util/errors.js';
import type { AllowedSigner } from './allowed-signers.js';
import { matchPatternList } from './pattern.js';
import { keyFingerprint } from './ssh-public-key.js';
import { parseSshsig, verifySshsig } from './sshsig.js';

export const PLAN_NAMESPACE = 'mtafleet-plan';

/** One entry of a plan file's `approvals`. Only `signature` is trusted; the rest is for people. */
export interface Approval {
  /** The name the approver gave (--identity); when set it must be a principal of their key's line. */
  identity?: string;
  key: string;
  keyType: string;
  signedAt: string;
  /** Armored SSHSIG text, exactly what `ssh-keygen -Y sign -n mtafleet-plan` writes. */
  signature: string;
}

/** Who approved an applied plan (kept in the run record). */
export interface Signer {
  principal: string;
  /** SHA256:... fingerprint of the key. */
  key: string;
  keyType: string;
}

/** The bytes an approval signs: the plan digest as ASCII hex, nothing else. */
export function approvalMessage(digest: string): Buffer {
  return Buffer.from(digest, 'ascii');
}

export interface ApprovalVerdict {
  signers: Signer[];
  /** One line per approval that does not count, saying why. */
  problems: string[];
}

function validityProblem(line: AllowedSigner, now: Date): string | null {
  if (line.validAfter && now < line.validAfter) return `is valid only after ${line.validAfter.toISOString()}`;
  if (line.validBefore && now > line.validBefore) return `expired at ${line.validBefore.toISOString()}`;
  return null;
}

/**
 * Judges each approval against `contentDigest` (the digest of the plan body as read, not the
 * one recorded in the file) and the allowed signers at time `now`. Pure.
 */
export function judgeApprovals(approvals: readonly Approval[], contentDigest: string, allowed: readonly AllowedSigner[], now: Date): ApprovalVerdict {
  const signers: Signer[] = [];
  const problems: string[] = [];
  approvals.forEach((a, i) => {
    const who = `approval ${i + 1}${a.identity ? ` (${a.identity})` : ''}`;
    let sig;
    try {
      sig = parseSshsig(a.signature);
    } catch (err) {
      problems.push(`${who}: ${(err as Error).message}`);
      return;
    }
    const fp = keyFingerprint(sig.publicKey);
    const v = verifySshsig(sig, approvalMessage(contentDigest), PLAN_NAMESPACE);
    if (!v.ok) {
      const changed = v.reason === 'the signature does not verify' ? ' against this plan\'s content: the plan changed after it was signed, or the signature was altered' : '';
      problems.push(`${who} by key ${fp}: ${v.reason}${changed}`);
      return;
    }
    const lines = allowed.filter((l) => l.key.blob.equals(sig.publicKey));
    if (lines.length === 0) {
      problems.push(`${who}: key ${fp} is not an allowed signer (not in ${allowed[0]?.file ?? 'the allowed signers file'})`);
      return;
    }
    const lineProblems: string[] = [];
    for (const line of lines) {
      const where = `${line.file}:${line.line}`;
      if (a.identity !== undefined && !matchPatternList(a.identity, line.principals)) {
        lineProblems.push(`signed as "${a.identity}", but ${where} allows key ${fp} only for principals "${line.principals}"`);
        continue;
      }
      if (line.namespaces !== null && !matchPatternList(PLAN_NAMESPACE, line.namespaces)) {
        lineProblems.push(`${where} allows key ${fp} only for namespaces "${line.namespaces}", not ${PLAN_NAMESPACE}`);
        continue;
      }
      const when = validityProblem(line, now);
      if (when !== null) {
        lineProblems.push(`key ${fp} of ${where} ${when}`);
        continue;
      }
      signers.push({ principal: a.identity ?? line.principals, key: fp, keyType: v.keyType });
      return;
    }
    problems.push(`${who}: ${lineProblems.join('; ')}`);
  });
  return { signers: dedupe(signers), problems };
}

/**
 * Distinct approvers: an approval counts only if neither its key nor its principal counted
 * already (one key signing under two names, or one name with two keys, is one approver).
 */
function dedupe(signers: Signer[]): Signer[] {
  const keys = new Set<string>();
  const principals = new Set<string>();
  return signers.filter((s) => {
    if (keys.has(s.key) || principals.has(s.principal)) return false;
    keys.add(s.key);
    principals.add(s.principal);
    return true;
  });
}

/**
 * The apply gate: at least `minApprovals` distinct allowed principals signed this content, or a
 * RefusedError (exit 3) naming the reason.
 */
export function requireApprovals(
  approvals: readonly Approval[] | undefined,
  contentDigest: string,
  allowed: readonly AllowedSigner[],
  opts: { planFile: string; allowedFile: string; minApprovals: number; now?: Date },
): ApprovalVerdict {
  const list = approvals ?? [];
  if (list.length === 0) {
    throw new RefusedError(`refused: ${opts.planFile} is unsigned (no approvals); an allowed signer must run \`mtafleet approve ${opts.planFile} --key KEY\` (--require-approval ${opts.allowedFile})`);
  }
  const verdict = judgeApprovals(list, contentDigest, allowed, opts.now ?? new Date());
  if (verdict.signers.length < opts.minApprovals) {
    const have = verdict.signers.length === 0 ? 'no valid approval' : `${verdict.signers.length} valid approval(s) (${verdict.signers.map((s) => s.principal).join(', ')})`;
    throw new RefusedError(
      `refused: ${opts.planFile} needs ${opts.minApprovals} approval(s) from ${opts.allowedFile} and has ${have}` + verdict.problems.map((p) => `\n  ${p}`).join(''),
    );
  }
  return verdict;
}
