/**
 * Facts for playbooks: a small set of Ansible's names (FACT_NAMES) read by one constant
 * read-only script on its own channel of the host's connection, while the first tasks observe
 * (plan-host.ts; gather_facts is on by default); with the audit's probes too when the play
 * reads `facts.*`. The health gate uses the probes and their diagnosis. The engine never parses host output
 * itself beyond this: every value from the host is hostile text, bounded and validated here
 * (a mount path, a distribution name), and no host text becomes an object key.
 */
import { diagnose } from '../diagnose/index.js';
import { runProbes } from '../probes/index.js';
import { script } from '../transport/quote.js';
import type { HostConnection } from '../transport/types.js';
import { dict } from '../util/dict.js';

/** `mounts`: gather ansible_mounts too (a statfs per mount: the costly part, only when read). */
export type FactSource = (conn: HostConnection, become: boolean, opts?: { mounts: boolean }) => Promise<Record<string, unknown>>;
export type CriticalSource = (conn: HostConnection) => Promise<string[]>;

/** The Ansible fact names mtafleet gathers (README "Playbooks"). */
export const FACT_NAMES: ReadonlySet<string> = new Set([
  'ansible_hostname',
  'ansible_fqdn',
  'ansible_nodename',
  'ansible_distribution',
  'ansible_distribution_version',
  'ansible_distribution_major_version',
  'ansible_distribution_release',
  'ansible_os_family',
  'ansible_system',
  'ansible_kernel',
  'ansible_architecture',
  'ansible_processor_vcpus',
  'ansible_memtotal_mb',
  'ansible_default_ipv4',
  'ansible_mounts',
]);

const MARK = '@@mtafleet-fact:';

const SCRIPT_LINES = [
    `m() { printf '\\n${MARK}%s\\n' "$1"; }`,
    `m hostname; uname -n 2>/dev/null`,
    // Python's socket.getfqdn() as Ansible uses it: the node name resolved, then the address's names.
    `m fqdn; a=$(getent ahostsv4 "$(uname -n)" 2>/dev/null | head -n 1 | cut -d ' ' -f 1); [ -n "$a" ] && getent hosts "$a" 2>/dev/null | head -n 1`,
    `m kernel; uname -r 2>/dev/null`,
    `m system; uname -s 2>/dev/null`,
    `m machine; uname -m 2>/dev/null`,
    `m os-release; head -c 8192 /etc/os-release 2>/dev/null || head -c 8192 /usr/lib/os-release 2>/dev/null`,
    `m debian-version; head -c 64 /etc/debian_version 2>/dev/null`,
    `m vcpus; getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null`,
    `m meminfo; head -n 3 /proc/meminfo 2>/dev/null`,
    `m route; ip -4 route get 8.8.8.8 2>/dev/null | head -n 2`,
    // As Ansible: /proc/mounts entries with a device path (or host:/path), sizes from statvfs.
    `T=; command -v timeout >/dev/null 2>&1 && T='timeout 2'`,
    `m mounts; head -n 200 /proc/mounts 2>/dev/null | while read -r dev mnt fs rest; do case "$dev" in /*|*:/*) ;; *) continue ;; esac; [ "$fs" = none ] && continue; s=$($T stat -f -c '%S %b %a' "$mnt" 2>/dev/null) || continue; printf '%s %s %s %s\n' "$s" "$fs" "$dev" "$mnt"; done`,
    `m end`,
];

/** Read-only, no arguments, nothing from user input: one round trip, a few KB of output. */
export const ANSIBLE_FACTS_SCRIPT = script(SCRIPT_LINES.join('\n'));
/** The same without ansible_mounts (two processes per mount saved): for plays that do not read it. */
export const ANSIBLE_FACTS_SCRIPT_NO_MOUNTS = script(SCRIPT_LINES.filter((l) => !l.startsWith('m mounts') && !l.startsWith('T=')).join('\n'));

const MAX_FIELD = 255;

function sections(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = stdout.slice(0, 256 * 1024).split(`\n${MARK}`);
  for (const part of parts.slice(1)) {
    const nl = part.indexOf('\n');
    const name = nl === -1 ? part : part.slice(0, nl);
    if (!out.has(name)) out.set(name, nl === -1 ? '' : part.slice(nl + 1));
  }
  return out;
}

/** One line of printable text, bounded; undefined when empty or odd. */
function text(v: string | undefined, pattern = /^[\x21-\x7e][\x20-\x7e]*$/): string | undefined {
  const line = (v ?? '').split('\n')[0].trim();
  if (line === '' || line.length > MAX_FIELD || !pattern.test(line)) return undefined;
  return line;
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** os-release's KEY=value lines (values unquoted); only the keys asked for. */
function osRelease(body: string | undefined): Map<string, string> {
  const wanted = new Set(['ID', 'NAME', 'VERSION_ID', 'VERSION_CODENAME', 'ID_LIKE']);
  const out = new Map<string, string>();
  for (const line of (body ?? '').split('\n').slice(0, 100)) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (!m || !wanted.has(m[1]) || out.has(m[1])) continue;
    let v = m[2];
    if (/^".*"$|^'.*'$/.test(v)) v = v.slice(1, -1);
    const t = text(v);
    if (t !== undefined) out.set(m[1], t);
  }
  return out;
}

/** Ansible's spelling of the distribution names it knows; other IDs are capitalised. */
const DISTRIBUTIONS: Record<string, string> = {
  debian: 'Debian', ubuntu: 'Ubuntu', centos: 'CentOS', rhel: 'RedHat', rocky: 'Rocky', almalinux: 'AlmaLinux',
  fedora: 'Fedora', ol: 'OracleLinux', amzn: 'Amazon', sles: 'SLES', opensuse: 'openSUSE', 'opensuse-leap': 'openSUSE Leap',
  alpine: 'Alpine', arch: 'Archlinux', linuxmint: 'Linux Mint',
};
const FAMILIES: Record<string, string> = {
  debian: 'Debian', ubuntu: 'Debian', linuxmint: 'Debian', rhel: 'RedHat', centos: 'RedHat', rocky: 'RedHat', almalinux: 'RedHat',
  fedora: 'RedHat', ol: 'RedHat', amzn: 'RedHat', sles: 'Suse', opensuse: 'Suse', 'opensuse-leap': 'Suse', alpine: 'Alpine', arch: 'Archlinux',
};

function boundedInt(v: string | undefined, max: number): number | undefined {
  const t = (v ?? '').trim();
  if (!/^\d{1,16}$/.test(t)) return undefined;
  const n = Number(t);
  return n <= max ? n : undefined;
}

export interface AnsibleMount {
  mount: string;
  device: string;
  fstype: string;
  size_total: number;
  size_available: number;
}

function mounts(body: string | undefined): AnsibleMount[] {
  const out: AnsibleMount[] = [];
  for (const line of (body ?? '').split('\n').slice(0, 200)) {
    // frsize blocks bavail fstype device mount (as /proc/mounts writes them: no spaces, \040 escapes)
    const f = line.trim().split(' ');
    if (f.length !== 6) continue;
    const [frsize, blocks, bavail] = f.slice(0, 3).map((x) => boundedInt(x, 2 ** 40));
    const fstype = text(f[3], /^[a-z0-9_.+-]+$/);
    const device = text(f[4]);
    const mount = text(f[5]);
    if (frsize === undefined || blocks === undefined || bavail === undefined || !fstype || !device || !mount?.startsWith('/')) continue;
    const total = frsize * blocks;
    const avail = frsize * bavail;
    if (!Number.isSafeInteger(total) || !Number.isSafeInteger(avail)) continue;
    out.push({ mount, device, fstype, size_total: total, size_available: avail });
  }
  return out;
}

/** Python's socket.getfqdn(): the first of the names with a dot, else the first name. */
function fqdn(line: string | undefined, node: string | undefined): string | undefined {
  const names = (line ?? '').split('\n')[0].trim().split(/\s+/).slice(1).filter((n) => HOSTNAME.test(n) && n.length <= MAX_FIELD);
  return names.find((n) => n.includes('.')) ?? names[0] ?? node;
}

/** The Ansible-named facts from the script's output; a fact the host could not give is absent. */
export function parseAnsibleFacts(stdout: string): Record<string, unknown> {
  const s = sections(stdout);
  const facts = dict<unknown>();
  const set = (k: string, v: unknown) => {
    if (v !== undefined) facts[k] = v;
  };
  const node = text(s.get('hostname'), HOSTNAME);
  set('ansible_nodename', node);
  set('ansible_hostname', node?.split('.')[0]);
  set('ansible_fqdn', fqdn(s.get('fqdn'), node));
  set('ansible_kernel', text(s.get('kernel')));
  set('ansible_system', text(s.get('system'), /^[A-Za-z0-9_-]+$/));
  set('ansible_architecture', text(s.get('machine'), /^[A-Za-z0-9_-]+$/));
  const os = osRelease(s.get('os-release'));
  const id = os.get('ID')?.toLowerCase();
  if (id !== undefined && /^[a-z0-9._-]+$/.test(id)) {
    set('ansible_distribution', Object.hasOwn(DISTRIBUTIONS, id) ? DISTRIBUTIONS[id] : id[0].toUpperCase() + id.slice(1));
    const like = (os.get('ID_LIKE') ?? '').toLowerCase().split(/\s+/);
    const family = [id, ...like].find((x) => Object.hasOwn(FAMILIES, x));
    set('ansible_os_family', family !== undefined ? FAMILIES[family] : undefined);
  }
  // Debian's full version (12.11) is in /etc/debian_version, as Ansible reads it.
  const debian = id === 'debian' ? text(s.get('debian-version'), /^\d+\.\d+(\.\d+)?$/) : undefined;
  const version = debian ?? os.get('VERSION_ID');
  if (version !== undefined && /^[A-Za-z0-9._-]+$/.test(version)) {
    set('ansible_distribution_version', version);
    set('ansible_distribution_major_version', version.split('.')[0]);
  }
  set('ansible_distribution_release', text(os.get('VERSION_CODENAME'), /^[A-Za-z0-9._-]+$/));
  set('ansible_processor_vcpus', boundedInt(s.get('vcpus')?.split('\n')[0], 1_000_000));
  const mem = /^MemTotal:\s+(\d{1,16})\s+kB$/m.exec(s.get('meminfo') ?? '');
  const kb = mem ? boundedInt(mem[1], Number.MAX_SAFE_INTEGER) : undefined;
  set('ansible_memtotal_mb', kb !== undefined ? Math.floor(kb / 1024) : undefined);
  const route = (s.get('route') ?? '').split('\n')[0];
  const src = /\bsrc (\S+)/.exec(route)?.[1];
  if (src !== undefined && IPV4.test(src)) {
    const ipv4 = dict<unknown>();
    ipv4.address = src;
    const dev = /\bdev (\S+)/.exec(route)?.[1];
    if (dev !== undefined && /^[A-Za-z0-9_.:@-]{1,32}$/.test(dev)) ipv4.interface = dev;
    const via = /\bvia (\S+)/.exec(route)?.[1];
    if (via !== undefined && IPV4.test(via)) ipv4.gateway = via;
    facts.ansible_default_ipv4 = ipv4;
  }
  if (s.has('mounts')) facts.ansible_mounts = mounts(s.get('mounts'));
  return facts;
}

/** The Ansible-named facts of one host (one exec, run alongside the first observations or the probe batch). */
export async function ansibleFacts(conn: HostConnection, mounts = true): Promise<Record<string, unknown>> {
  // A host that cannot run the script still has its probe facts; a `when` on a missing
  // ansible_* name then says which variable is undefined.
  const r = await conn.exec(mounts ? ANSIBLE_FACTS_SCRIPT : ANSIBLE_FACTS_SCRIPT_NO_MOUNTS, { partialOutput: true, label: 'facts', timeoutMs: 30_000 }).catch(() => undefined);
  return r ? parseAnsibleFacts(r.stdout) : dict();
}

/** The default of gather_facts: the ansible_* facts only (one script, a few KB). */
export const ansibleFactSource: FactSource = (conn, _become, opts) => ansibleFacts(conn, opts?.mounts ?? true);

/** For a play that reads `facts.*`: the audit's probes too, on the same connection. */
export const probeFacts: FactSource = async (conn, become, opts) => {
  const [r, named] = await Promise.all([runProbes(conn, { become }), ansibleFacts(conn, opts?.mounts ?? true)]);
  return { ...(r.facts as Record<string, unknown>), ...named };
};

/** The host's critical findings, as "kind: title" lines. */
export const criticalFindings: CriticalSource = async (conn) => {
  const facts = await runProbes(conn);
  return diagnose(facts)
    .filter((f) => f.severity === 'critical')
    .map((f) => `${f.kind}: ${f.title}`);
};
