/**
 * zod schemas for the inventory variables mtafleet acts on (connection variables) and the
 * rules for host, group and variable names. Each schema carries its own plain-words message;
 * the caller adds where the value was and what it was.
 */
import { z } from 'zod';
import { own } from '../util/dict.js';
import { isSecretName } from '../util/secret.js';
import { MAX_OUTPUT_RULE, parseMaxOutput } from '../transport/capped.js';

const PORT = 'must be a whole number between 1 and 65535';
const HOST = 'must be a host name or IP address (letters, digits, dots, dashes, colons; no spaces or shell characters)';
const USER = 'must be a user name (letters, digits, _ . -, starting with a letter or _)';
const BOOL = 'must be true or false (yes/no, on/off, 1/0 also work)';
const PATH = 'must be a file path (no newlines or NUL bytes)';
const JUMP = 'must be a jump host: host, user@host, host:port or user@host:port (port 1-65535; hops separated by commas)';
const PRIORITY = 'must be a whole number';
const SECRET = 'must be a string';

const HOST_RE = /^[A-Za-z0-9_][A-Za-z0-9._:%-]*$/;
const USER_RE = /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/;
const JUMP_RE = /^(?:([A-Za-z_][A-Za-z0-9_.-]*)@)?([A-Za-z0-9_][A-Za-z0-9._-]*|\[[0-9A-Fa-f:.%]+\])(?::(\d{1,5}))?$/;

/** Digits in a string count as a number, as Ansible templates them into the port anyway. */
function digitsToNumber(v: unknown): unknown {
  return typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
}

function truthWords(v: unknown): unknown {
  if (typeof v === 'string') {
    const word = v.trim().toLowerCase();
    if (['yes', 'true', 'on', '1', 'y'].includes(word)) return true;
    if (['no', 'false', 'off', '0', 'n'].includes(word)) return false;
  }
  if (v === 1) return true;
  if (v === 0) return false;
  return v;
}

const port = z.preprocess(digitsToNumber, z.number({ error: PORT }).int({ error: PORT }).min(1, { error: PORT }).max(65535, { error: PORT }));
const hostAddress = z.string({ error: HOST }).max(253, { error: HOST }).regex(HOST_RE, { error: HOST });
const userName = z.string({ error: USER }).max(32, { error: USER }).regex(USER_RE, { error: USER });
const bool = z.preprocess(truthWords, z.boolean({ error: BOOL }));
const filePath = z.string({ error: PATH }).min(1, { error: PATH }).refine((s) => !/[\n\r\0]/.test(s), { error: PATH });
/** One hop is [ssh://][user@]host[:port]; several hops are separated by commas, as in ProxyJump. */
function validJumpHop(hop: string): boolean {
  const m = JUMP_RE.exec(hop.replace(/^ssh:\/\//, ''));
  return m !== null && (m[3] === undefined || (Number(m[3]) >= 1 && Number(m[3]) <= 65535));
}
const jump = z.string({ error: JUMP }).refine((s) => s.split(',').every((hop) => validJumpHop(hop.trim())), { error: JUMP });
const priority = z.preprocess(digitsToNumber, z.number({ error: PRIORITY }).int({ error: PRIORITY }));
// Anything that is not a size in range becomes a non-number, so the rule's message is shown.
const maxOutput = z.preprocess((v) => parseMaxOutput(v) ?? String(v), z.number({ error: MAX_OUTPUT_RULE }));
const secretText = z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string({ error: SECRET }));

/** Variables whose values mtafleet itself uses, with the type they must have. */
export const KNOWN_VARS: Record<string, z.ZodType> = {
  ansible_host: hostAddress,
  ansible_port: port,
  ansible_user: userName,
  ansible_become: bool,
  ansible_become_user: userName,
  ansible_become_password: secretText,
  ansible_ssh_private_key_file: filePath,
  mtafleet_known_hosts: filePath,
  mtafleet_jump: jump,
  mtafleet_max_output: maxOutput,
  ansible_group_priority: priority,
};

/** Older Ansible spellings still common in inventories; each also sets its canonical name. */
export const VAR_ALIASES: Record<string, string> = {
  ansible_ssh_host: 'ansible_host',
  ansible_ssh_port: 'ansible_port',
  ansible_ssh_user: 'ansible_user',
  ansible_private_key_file: 'ansible_ssh_private_key_file',
  ansible_become_pass: 'ansible_become_password',
};

/** Variables holding local file paths: resolved relative to the inventory file's directory. */
export const PATH_VARS = new Set(['ansible_ssh_private_key_file', 'ansible_private_key_file', 'mtafleet_known_hosts']);

const EXTRA_SECRET_VARS = new Set(['ansible_become_password', 'ansible_become_pass', 'ansible_password', 'ansible_ssh_pass', 'ansible_sudo_pass']);

export function isSecretVar(name: string): boolean {
  return isSecretName(name) || EXTRA_SECRET_VARS.has(name);
}

const SHELL_BAD = /[\s'"$`;|&<>()\\\u0000-\u001f\u007f]/;
const GROUP_BAD = /[:,!*?[\]~@]/;
const HOST_BAD = /[,!*?[\]~@]/;

/** Why a host or group name is unsafe, or undefined when it is fine. */
export function nameProblem(kind: 'host' | 'group', name: string): string | undefined {
  const what = `${kind} name ${JSON.stringify(name)}`;
  if (name.length === 0) return `${kind} name must not be empty`;
  const bad = SHELL_BAD.exec(name) ?? (kind === 'group' ? GROUP_BAD : HOST_BAD).exec(name);
  if (bad) return `${what} must not contain ${describeChar(bad[0])}`;
  if (name.startsWith('-')) return `${what} must not start with "-"`;
  return undefined;
}

export function varNameProblem(name: string): string | undefined {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? undefined : `variable name ${JSON.stringify(name)} must be letters, digits and _ (not starting with a digit)`;
}

function describeChar(c: string): string {
  if (c === ' ') return 'spaces';
  if (c === '\t') return 'tabs';
  if (c === '\n' || c === '\r') return 'newlines';
  if (c === '\0') return 'NUL bytes';
  if (/[\u0000-\u001f\u007f]/.test(c)) return 'control characters';
  if (/\s/.test(c)) return 'whitespace';
  return `"${c}"`;
}

/** Renders a rejected value for a message; secrets never show. */
export function describeValue(name: string, value: unknown): string {
  if (isSecretVar(name)) return '***';
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/** Checks a known variable; returns the typed value or the first issue in plain words. */
export function checkKnownVar(name: string, value: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  // Own entries only: a variable named toString or constructor is an ordinary variable.
  const schema = own(KNOWN_VARS, name) ?? own(KNOWN_VARS, own(VAR_ALIASES, name) ?? '');
  if (!schema) return { ok: true, value };
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  return { ok: false, message: `${plainIssue(issue)}, got ${describeValue(name, value)}` };
}

/** Our schemas carry their own messages; this covers any issue that arrives without one. */
function plainIssue(issue: z.core.$ZodIssue): string {
  if (issue.message && !issue.message.startsWith('Invalid')) return issue.message;
  if (issue.code === 'invalid_type') return `must be a ${issue.expected}`;
  return issue.message.toLowerCase();
}
