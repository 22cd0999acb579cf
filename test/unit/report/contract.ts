/** DESIGN.md's audit JSON contract as a zod schema, written from the document (not the code). */
import { z } from 'zod';

const Counts = z.object({ delivered: z.number().int().nonnegative(), deferred: z.number().int().nonnegative(), bounced: z.number().int().nonnegative() });

export const AccountingContract = z.object({
  file: z.string(),
  records: z.number().int().nonnegative(),
  // null when the window holds no records
  since: z.string().nullable(),
  until: z.string().nullable(),
  hourly: z.array(z.object({ hour: z.string(), delivered: z.number(), deferred: z.number(), bounced: z.number() })),
  bySourceIp: z.record(z.string(), Counts),
  byDomain: z.record(z.string(), Counts.extend({ deferralRate: z.number().min(0).max(1) })),
  topDiagnostics: z.array(z.object({ domain: z.string(), pattern: z.string(), count: z.number().int() })),
});

const FindingContract = z.looseObject({
  kind: z.string().min(1),
  severity: z.enum(['info', 'warn', 'critical']),
  evidence: z.array(z.string()),
  remedy: z.string().nullable(),
  // how sure the finding is: 'low' = one reading near its threshold (added for #12; older reports lack it)
  confidence: z.enum(['high', 'low']).optional(),
});

const HostContract = z.looseObject({
  name: z.string().min(1),
  reachable: z.boolean(),
  error: z.string().nullable(),
  facts: z.looseObject({ accounting: AccountingContract.optional() }),
  findings: z.array(FindingContract),
});

const Ref = z.strictObject({ host: z.string(), kind: z.string(), subject: z.string(), severity: z.string(), title: z.string() });
const Move = z.strictObject({ host: z.string(), before: z.number(), after: z.number(), change: z.number() });

export const AuditContract = z.strictObject({
  // README "Contracts": additive members, the history store's id of the audit and `--compare`.
  auditId: z.string().regex(/^\d{8}T\d{6}Z-[a-z0-9]+$/).optional(),
  compare: z
    .union([
      z.strictObject({
        against: z.strictObject({ auditId: z.string(), at: z.string() }),
        newFindings: z.array(Ref),
        resolvedFindings: z.array(Ref),
        severityChanged: z.array(Ref.extend({ before: z.string() })),
        rateMoves: z.array(Move),
        deferralMoves: z.array(Move),
        hostsAdded: z.array(z.string()),
        hostsGone: z.array(z.string()),
      }),
      z.strictObject({ unavailable: z.string() }),
    ])
    .optional(),
  hosts: z.array(HostContract),
  summary: z.strictObject({
    hosts: z.number().int().nonnegative(),
    reachable: z.number().int().nonnegative(),
    byKind: z.record(z.string(), z.number().int().positive()),
  }),
});
