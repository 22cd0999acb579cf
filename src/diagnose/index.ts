import type { HostFacts } from '../probes/index.js';
import { confidenceOf } from './confidence.js';
import { deliveryFindings } from './delivery.js';
import { fdLimit, portExhaustion, spoolIo, threadContention } from './system.js';
import type { DiagnoseOptions, Finding, Severity } from './types.js';

export type { Confidence, DiagnoseOptions, Finding, FindingKind, IspLimit, Profile, Severity } from './types.js';
export { ISP_PROFILES, ispLimit } from './profiles.js';

const SEVERITY_RANK: Record<Severity, number> = { critical: 2, warn: 1, info: 0 };

/**
 * Facts in, findings out: pure. Each rule reads the layer it owns; delivery rules decide
 * between isp-limit, ip-reputation and plain deferrals so one cause is reported once, at
 * its layer (the seed: identify the layer first). Most severe first, then by how far the
 * evidence exceeds its threshold, then by kind: the same facts always give the same order.
 * Each finding says how sure it is (`confidence`).
 */
export function diagnose(host: HostFacts, options: DiagnoseOptions = {}): Finding[] {
  const facts = host.facts;
  const findings = [
    ...spoolIo(facts, options),
    ...fdLimit(facts),
    ...portExhaustion(facts),
    ...threadContention(facts),
    ...deliveryFindings(facts, options),
  ];
  for (const f of findings) f.confidence = confidenceOf(f, facts);
  return findings.sort(
    (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || b.strength - a.strength || a.kind.localeCompare(b.kind),
  );
}
