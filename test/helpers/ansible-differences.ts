/**
 * Where mtafleet's `inventory --list` differs from `ansible-inventory --list` on purpose, in one
 * place: given Ansible's variables of a host, the variables mtafleet shows. Every difference is
 * about the connection variables mtafleet acts on (and secrets):
 * - typed: ansible_port is a number, ansible_become a boolean (Ansible keeps "2222", "yes");
 * - key and known_hosts paths are absolute (relative to the inventory's directory, ~ expanded);
 * - secrets (names with password, passphrase, secret, token; become/ssh passwords) show as ***;
 * - an old alias also sets its current name (ansible_ssh_user -> ansible_user, ...);
 * - templated connection variables are shown resolved for the host (Ansible shows the
 *   template and resolves it when it connects); other variables keep their template.
 */
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { KNOWN_VARS, VAR_ALIASES, isSecretVar } from '../../src/inventory/schema.js';

const PATH_VARS = new Set(['ansible_ssh_private_key_file', 'ansible_private_key_file', 'mtafleet_known_hosts']);
const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Ansible's untyped value of one variable, as mtafleet types it. */
export function typedLikeMtafleet(key: string, value: unknown, inventoryDir: string): unknown {
  const canonical = has(VAR_ALIASES, key) ? VAR_ALIASES[key] : key;
  if (canonical === 'ansible_port') return Number(value);
  if (canonical === 'ansible_become') return ['yes', 'true', 'on', '1', 'y'].includes(String(value).toLowerCase());
  if (PATH_VARS.has(key) && typeof value === 'string') {
    if (value === '~' || value.startsWith('~/')) return resolve(homedir(), value.slice(2));
    return isAbsolute(value) ? value : resolve(inventoryDir, value);
  }
  return hidden(key, value);
}

function hidden(key: string, value: unknown, inSecret = false): unknown {
  const secret = inSecret || isSecretVar(key);
  if (value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map((v) => hidden(key, v, secret));
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hidden(k, v, secret)]));
  return secret ? '***' : value;
}

/** `{{ name }}`, `{{ name | default('x') }}` and inventory_hostname, as the fixtures use them. */
function render(text: string, vars: Record<string, unknown>, host: string): unknown {
  const one = (expr: string): unknown => {
    const m = /^(\w+)(?:\s*\|\s*default\('([^']*)'\))?$/.exec(expr.trim());
    if (!m) throw new Error(`test helper cannot render {{ ${expr} }}`);
    const v = m[1] === 'inventory_hostname' ? host : has(vars, m[1]) ? vars[m[1]] : m[2];
    return typeof v === 'string' && v.includes('{{') ? render(v, vars, host) : v;
  };
  const whole = /^\{\{(.*?)\}\}$/.exec(text);
  if (whole) return one(whole[1]);
  return text.replace(/\{\{(.*?)\}\}/g, (_a, e: string) => String(one(e)));
}

/** All of Ansible's variables of one host, as mtafleet shows them. */
export function hostvarsLikeMtafleet(host: string, vars: Record<string, unknown>, inventoryDir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const connection = (k: string) => has(KNOWN_VARS, k) || has(VAR_ALIASES, k);
  for (const [k, v] of Object.entries(vars)) {
    const value = connection(k) && typeof v === 'string' && v.includes('{{') ? render(v, vars, host) : v;
    out[k] = typedLikeMtafleet(k, value, inventoryDir);
  }
  for (const [alias, canonical] of Object.entries(VAR_ALIASES)) {
    if (has(out, alias) && !has(vars, canonical)) out[canonical] = typedLikeMtafleet(canonical, out[alias], inventoryDir);
  }
  return out;
}
