/**
 * The audit JSON `plan --from-audit` reads (DESIGN.md "Audit JSON", written by `mtafleet audit
 * --format json`). It may come from anywhere: it is validated here, once, with zod, and every
 * problem is an InputError naming the file and the JSON path, before any host is contacted.
 * Only what planning needs is read (host names, reachability, findings with their remedy and
 * variables); facts and other fields are left alone.
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../util/errors.js';
import { decodeInputText, sizeProblem } from '../util/input-text.js';
import { sha256Hex } from './canonical.js';

/** Audit facts hold accounting summaries of big fleets: far larger than a playbook, still bounded. */
const MAX_AUDIT_BYTES = 64 * 1024 * 1024;

/**
 * Variable names a finding may pass to its playbook, as `-e` would: a plain identifier, and not
 * one of the names that steer the connection, privileges or locking (ansible_*, mtafleet_*) or
 * that the engine sets itself.
 */
const RESERVED_VARS = new Set(['inventory_hostname', 'group_names', 'groups', 'hostvars', 'facts', 'playbook_dir', '__proto__', 'constructor', 'prototype']);
const varName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a variable name is a letter or _ then letters, digits or _ (at most 64)')
  .refine((k) => !RESERVED_VARS.has(k) && !/^(ansible|mtafleet)_/i.test(k), 'a reserved variable name (ansible_*, mtafleet_*, or one the engine sets)');
/** One line of printable text: a remedy variable is a value, never shell text or a template's input of its own. */
const varValue = z
  .string()
  .max(4096)
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'a control character (newline, NUL, escape, ...) in a variable value');

const finding = z.looseObject({
  kind: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'a finding kind is lower-case letters, digits and -'),
  severity: z.enum(['info', 'warn', 'critical']),
  title: z.string().max(4096).optional(),
  evidence: z.array(z.string().max(65536)).max(1000).optional(),
  remedy: z.string().max(1024).nullable(),
  remedyVars: z.record(varName, varValue).optional(),
  confidence: z.enum(['high', 'low']).optional(),
});

const host = z.looseObject({
  name: z.string().min(1).max(255),
  reachable: z.boolean(),
  error: z.string().nullable(),
  findings: z.array(finding).max(1000),
});

const auditSchema = z.looseObject({ hosts: z.array(host) });

export type AuditInputFinding = z.infer<typeof finding>;
export type AuditInputHost = z.infer<typeof host>;

export interface AuditInput {
  path: string;
  sha256: string;
  hosts: AuditInputHost[];
}

/** Reads and validates an audit JSON file; a problem is an InputError naming the file and where. */
export function readAuditFile(path: string): AuditInput {
  let bytes: Buffer;
  try {
    // "-": standard input (mtafleet audit --format json | mtafleet plan --from-audit - ...).
    const size = path === '-' ? 0 : statSync(path).size;
    if (size > MAX_AUDIT_BYTES) throw new InputError(`${path}: ${sizeProblem(size) ?? `the file is larger than ${MAX_AUDIT_BYTES / 1024 / 1024} MiB`}`);
    bytes = readFileSync(path === '-' ? 0 : path);
    if (bytes.length > MAX_AUDIT_BYTES) throw new InputError(`${path}: more than ${MAX_AUDIT_BYTES / 1024 / 1024} MiB; not an audit`);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot read audit file ${path}: ${(err as Error).message}`);
  }
  const decoded = decodeInputText(bytes);
  if ('problem' in decoded) throw new InputError(`${path} is not an audit JSON file: ${decoded.problem}`);
  let data: unknown;
  try {
    data = JSON.parse(decoded.text);
  } catch (err) {
    throw new InputError(`${path} is not an audit JSON file (mtafleet audit --format json): not valid JSON: ${(err as Error).message}`);
  }
  return { path, sha256: sha256Hex(bytes), hosts: parseAudit(data, path) };
}

/** The validated hosts of audit JSON `data`; `file` names it in errors. */
export function parseAudit(data: unknown, file: string): AuditInputHost[] {
  const parsed = auditSchema.safeParse(data);
  if (!parsed.success) {
    let issue = parsed.error.issues[0]!;
    // A bad record key: zod nests the key's own problem (which rule it broke) under the issue.
    const nested = (issue as { issues?: typeof parsed.error.issues }).issues?.[0];
    if (issue.code === 'invalid_key' && nested) issue = { ...nested, path: issue.path };
    const at = issue.path.length > 0 ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : '(top level)';
    throw new InputError(`${file}: ${at}: ${issue.message} (expected the JSON of \`mtafleet audit --format json\`)`);
  }
  const seen = new Set<string>();
  for (const [i, h] of parsed.data.hosts.entries()) {
    if (seen.has(h.name)) throw new InputError(`${file}: hosts[${i}].name: host ${JSON.stringify(h.name)} is listed twice`);
    seen.add(h.name);
  }
  return parsed.data.hosts;
}
