/**
 * Plan files (`mtafleet plan --out`): what was observed and what will change, per host, with
 * the playbook's and inventory's digests and a content digest over the canonical body (so over
 * everything that runs: rolling rules, health gates, params, -e vars, each host's inventory
 * vars digest). `apply` refuses a file whose digest does not match (modified, truncated, or not
 * a plan at all); since anyone can recompute the digest, apply also re-makes the plan from its
 * playbook (plan-source.ts).
 */
import type { FailureOutcome } from '../util/outcome.js';
import { readFileSync, statSync } from 'node:fs';
import { writeFileReplacing } from '../util/private-fs.js';
import { z } from 'zod';
import { isSecretName, Secret } from '../util/secret.js';
import { PlanFileError } from '../util/errors.js';
import { canonicalJson, sha256Hex } from './canonical.js';
import type { HostPlan } from './plan-host.js';
import { verifyPlanDerivation } from './plan-verify.js';
import { STEP_KINDS } from '../steps/registry.js';
import { decodeInputText } from '../util/input-text.js';
import type { HealthGate, SerialRule } from '../playbook/types.js';
import type { Approval } from '../approval/approvals.js';

export const PLAN_FORMAT = 'mtafleet-plan';
export const PLAN_VERSION = 1;
/**
 * Checks the approvals of a plan as read, against the digest of its content (not the digest the
 * file records), before the recorded digest is compared: `apply --require-approval` refuses a
 * changed plan for its signatures (exit 3) rather than as a damaged file.
 */
export type ApprovalCheck = (doc: PlanDocument, contentDigest: string) => void;

/** Plans hold observed file contents per host: large fleets make large plans, but not this large. */
const MAX_PLAN_BYTES = 64 * 1024 * 1024;

export interface PlannedHost extends HostPlan {
  lockPath: string;
  become: boolean;
  /**
   * sha256 of the host's inventory variables (inventory file, group_vars/, host_vars/; secrets
   * as ***): the inventory file's digest does not cover the vars directories. Always written;
   * optional only in the type, apply refuses a plan without it.
   */
  varsSha256?: string;
}

/** How a play's hosts are rolled: kept in the plan so `apply` rolls exactly as `run` would. */
export interface Rolling {
  serial: SerialRule[];
  maxFailPercentage?: number;
  healthGate?: HealthGate;
}

export interface PlanBody {
  format: typeof PLAN_FORMAT;
  version: typeof PLAN_VERSION;
  created: string;
  user: string;
  /** tags/skipTags: the --tags/--skip-tags selection the plan was made with. */
  playbook: { path: string; sha256: string; tags?: string[]; skipTags?: string[] };
  inventory: { path: string; sha256: string };
  limit: string | null;
  extraVars: Record<string, unknown>;
  plays: Array<{
    index: number;
    name: string;
    rolling: Rolling;
    hosts: PlannedHost[];
    /**
     * Hosts with no plan: not reached, or planning failed or was refused. `status` is the
     * host's outcome (plan files made before it was recorded have none: unreachable).
     */
    unreachable: Array<{ host: string; error: string; status?: FailureOutcome }>;
  }>;
  /**
   * Set on a plan made by `plan --from-audit` (from-audit.ts): `plays` are then the plays of
   * several remedy playbooks, each re-made at apply from its own source; `playbook` names the
   * audit file the plan was made from.
   */
  fromAudit?: FromAudit;
}

/** One remedy playbook planned for some hosts with the audit's variables: `plan PLAYBOOK --limit L -e V`. */
export interface FromAuditSource {
  playbook: { path: string; sha256: string };
  extraVars: Record<string, unknown>;
  limit: string;
  /** This source's plays are plays[firstPlay .. firstPlay + playCount - 1], in its playbook's order. */
  firstPlay: number;
  playCount: number;
  /** The findings this remedies (for reviewers; not used to apply). */
  findings: Array<{ host: string; kind: string; severity: string }>;
}

export interface FromAudit {
  audit: { path: string; sha256: string };
  sources: FromAuditSource[];
  /** Hosts and findings the plan does not remedy, with why (for reviewers; not used to apply). */
  unremedied: Array<{ host: string; kind: string | null; severity: string | null; reason: string }>;
  /** Audited hosts with no warn or critical finding. */
  healthy: string[];
}

export interface PlanDocument extends PlanBody {
  digest: string;
  /** Signatures over `digest` (`mtafleet approve`); outside the digested body. */
  approvals?: Approval[];
}

/** Extra vars as they may be stored: secret-looking names and Secret values become ***. */
export function redactVars(vars: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, v instanceof Secret || isSecretName(k) ? '***' : v]));
}

export function planDigest(body: PlanBody): string {
  return sha256Hex(canonicalJson(body));
}

/**
 * Writes the plan and returns its digest. The file is always a new one of ours (mode 0600,
 * temp file + rename): an existing file at `path`, whoever owns it, is replaced, not written
 * into, so it cannot keep a foreign owner or a link to somewhere else.
 */
export function writePlanFile(path: string, body: PlanBody): string {
  const digest = planDigest(body);
  const doc: PlanDocument = { ...body, digest };
  writeFileReplacing(path, JSON.stringify(doc, null, 2) + '\n');
  return digest;
}

const action = z.looseObject({ type: z.enum(['exec', 'write-file', 'remove-file']) });
const change = z.looseObject({
  summary: z.string(),
  label: z.enum(['exact', 'predicted']),
  diff: z.looseObject({ type: z.string() }),
  do: z.array(action),
  undo: z.array(action),
  verify: z.array(action).optional(),
});
const stepPlan = z.union([
  z.strictObject({ kind: z.literal('changes'), changes: z.array(change) }),
  z.strictObject({ kind: z.literal('noop'), reason: z.string() }),
  z.strictObject({ kind: z.literal('refused'), reason: z.string() }),
]);
const plannedTask = z.looseObject({
  name: z.string(),
  kind: z.string(),
  handler: z.boolean(),
  params: z.unknown(),
  notify: z.array(z.string()),
  observations: z.record(z.string(), z.unknown()),
  basis: z.record(z.string(), z.unknown()).optional(),
  predicted: z.string().optional(),
  projected: z.record(z.string(), z.unknown()).optional(),
  plan: stepPlan,
});
const planDocument = z.strictObject({
  format: z.literal(PLAN_FORMAT),
  version: z.literal(PLAN_VERSION),
  created: z.string(),
  user: z.string(),
  playbook: z.strictObject({ path: z.string(), sha256: z.string(), tags: z.array(z.string()).optional(), skipTags: z.array(z.string()).optional() }),
  inventory: z.strictObject({ path: z.string(), sha256: z.string() }),
  limit: z.string().nullable(),
  extraVars: z.record(z.string(), z.unknown()),
  plays: z.array(
    z.strictObject({
      index: z.number().int(),
      name: z.string(),
      rolling: z.strictObject({
        serial: z.array(z.union([z.strictObject({ count: z.number() }), z.strictObject({ percent: z.number() })])),
        maxFailPercentage: z.number().optional(),
        healthGate: z
          .strictObject({
            cmd: z.string().optional(),
            argv: z.array(z.string()).optional(),
            timeoutSeconds: z.number().optional(),
            noNewCritical: z.boolean().optional(),
          })
          .optional(),
      }),
      hosts: z.array(
        z.looseObject({
          host: z.string(),
          fingerprint: z.string(),
          observations: z.record(z.string(), z.unknown()),
          tasks: z.array(plannedTask),
          lockPath: z.string(),
          become: z.boolean(),
        }),
      ),
      unreachable: z.array(z.strictObject({ host: z.string(), error: z.string(), status: z.enum(['unreachable', 'failed', 'refused']).optional() })),
    }),
  ),
  fromAudit: z
    .strictObject({
      audit: z.strictObject({ path: z.string(), sha256: z.string() }),
      sources: z.array(
        z.strictObject({
          playbook: z.strictObject({ path: z.string(), sha256: z.string() }),
          extraVars: z.record(z.string(), z.unknown()),
          limit: z.string(),
          firstPlay: z.number().int().nonnegative(),
          playCount: z.number().int().positive(),
          findings: z.array(z.strictObject({ host: z.string(), kind: z.string(), severity: z.string() })),
        }),
      ),
      unremedied: z.array(z.strictObject({ host: z.string(), kind: z.string().nullable(), severity: z.string().nullable(), reason: z.string() })),
      healthy: z.array(z.string()),
    })
    .optional(),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  approvals: z
    .array(z.strictObject({ identity: z.string().optional(), key: z.string(), keyType: z.string(), signedAt: z.string(), signature: z.string() }))
    .optional(),
});

/**
 * Writes a plan file that was read (and verified) with its approvals list replaced: the body
 * and digest are written as they were, so the digest still matches.
 */
export function writeApprovedPlanFile(path: string, doc: PlanDocument, approvals: Approval[]): void {
  const { approvals: _old, ...rest } = doc;
  writeFileReplacing(path, JSON.stringify({ ...rest, approvals }, null, 2) + '\n');
}

/** Reads and verifies a plan file; every problem is a PlanFileError naming it. */
export function readPlanFile(path: string, checkApprovals?: ApprovalCheck): PlanDocument {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_PLAN_BYTES) {
      throw new PlanFileError(`${path} is ${(size / 1024 / 1024).toFixed(1)} MiB, more than the ${MAX_PLAN_BYTES / 1024 / 1024} MiB a plan file may be (refused unread)`);
    }
    const decoded = decodeInputText(readFileSync(path));
    if ('problem' in decoded) throw new PlanFileError(`${path} is not a plan file: ${decoded.problem}`);
    text = decoded.text;
  } catch (err) {
    if (err instanceof PlanFileError) throw err;
    throw new PlanFileError(`cannot read plan file ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new PlanFileError(`${path} is not a plan file: not valid JSON (truncated or damaged?): ${(err as Error).message}`);
  }
  if (data === null || typeof data !== 'object' || (data as { format?: unknown }).format !== PLAN_FORMAT) {
    throw new PlanFileError(`${path} is not an mtafleet plan file (no "format": "${PLAN_FORMAT}")`);
  }
  if ((data as { version?: unknown }).version !== PLAN_VERSION) {
    throw new PlanFileError(`${path} is plan format version ${String((data as { version?: unknown }).version)}; this mtafleet reads version ${PLAN_VERSION}`);
  }
  const parsed = planDocument.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PlanFileError(`${path} is damaged: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const { digest, approvals: _approvals, ...body } = data as PlanDocument;
  const actual = planDigest(body as PlanBody);
  checkApprovals?.(data as PlanDocument, actual);
  if (actual !== digest) {
    throw new PlanFileError(
      `${path} was modified after it was written: its content hashes to ${actual.slice(0, 16)}..., the recorded digest is ${digest.slice(0, 16)}...; make a new plan`,
    );
  }
  verifyPlanDerivation(data as PlanDocument, STEP_KINDS, path);
  return data as PlanDocument;
}
