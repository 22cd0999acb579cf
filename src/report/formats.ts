/** The audit report formats: on their own so the CLI can list them without loading the renderers. */
export const AUDIT_FORMATS = ['table', 'json', 'markdown', 'html', 'openmetrics'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];
