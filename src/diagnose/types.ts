export type FindingKind =
  | 'spool-io'
  | 'fd-limit'
  | 'port-exhaustion'
  | 'thread-contention'
  | 'isp-limit'
  | 'deferrals'
  | 'ip-reputation';

export type Severity = 'info' | 'warn' | 'critical';

/** 'low': the finding rests on one reading near its threshold; the next audit may not repeat it. */
export type Confidence = 'high' | 'low';

export interface Finding {
  kind: FindingKind;
  severity: Severity;
  title: string;
  /** Measured values with their source, e.g. "loop3 %util 97.2 (iostat -x)". */
  evidence: string[];
  /** Shipped playbook that fixes this layer; null where a human must act (reputation, deferrals). */
  remedy: string | null;
  /** Variables to pass to the playbook (-e k=v); "?" where the audit cannot know the value. */
  remedyVars?: Record<string, string>;
  /**
   * How far the evidence exceeds the rule's threshold (1 = at the threshold). Used to rank
   * findings of the same severity; kept in the output so reports can explain the order.
   */
  strength: number;
  /** How sure the finding is (src/diagnose/confidence.ts); set by diagnose(). */
  confidence?: Confidence;
}

export type Profile = 'warming' | 'medium' | 'high';

export interface IspLimit {
  /** Connections per source IP. */
  maxSmtpOut: number;
  /** Messages per SMTP session. */
  maxMsgPerConnection: number;
}

export interface DiagnoseOptions {
  /** Reputation profile for per-ISP limits (DESIGN: variables, never constants). Default 'medium'. */
  profile?: Profile;
  /** Override or extend the profile's per-ISP limits, by recipient domain. */
  ispLimits?: Record<string, IspLimit>;
  /** Target delivery rate per ISP domain (msgs/h) for "how many IPs are needed". */
  targetPerHour?: Record<string, number>;
  /** Inventory variables of the host (e.g. lab_nvme_device) to fill remedy variables. */
  hostVars?: Record<string, string>;
}
