import { readdirSync } from 'node:fs';
import { run, runOk } from './proc.js';
import { subnetIndexOf } from './names.js';

/** Bridge, network namespaces and veth pairs, through iproute2. */

export async function linkExists(name: string): Promise<boolean> {
  return (await run('ip', ['link', 'show', 'dev', name])).exitCode === 0;
}

export function netnsExists(name: string): boolean {
  try {
    return readdirSync('/run/netns').includes(name);
  } catch {
    return false; // no /run/netns yet: no namespace was ever added
  }
}

export function listNetns(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

/** Subnet numbers (of 198.18.0.0/15) already on some interface of the root namespace. */
export async function subnetsInUse(): Promise<Set<number>> {
  const out = await runOk('ip', ['-4', '-o', 'addr', 'show']);
  const used = new Set<number>();
  for (const m of out.stdout.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)) {
    const k = subnetIndexOf(m[1] as string);
    if (k !== null) used.add(k);
  }
  return used;
}

export async function createBridge(name: string, address: string): Promise<void> {
  if (!(await linkExists(name))) await runOk('ip', ['link', 'add', name, 'type', 'bridge']);
  await runOk('ip', ['addr', 'replace', `${address}/24`, 'dev', name]);
  await runOk('ip', ['link', 'set', name, 'up']);
}

/** Namespace with lo up and eth0 (peer of `veth` on the bridge) holding `address`. */
export async function createHostNetwork(opts: { netns: string; veth: string; bridge: string; address: string; gateway: string }): Promise<void> {
  const { netns, veth, bridge, address, gateway } = opts;
  if (!netnsExists(netns)) await runOk('ip', ['netns', 'add', netns]);
  if (!(await linkExists(veth))) await runOk('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
  await runOk('ip', ['link', 'set', veth, 'master', bridge, 'up']);
  await runOk('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  await runOk('ip', ['-n', netns, 'addr', 'replace', `${address}/24`, 'dev', 'eth0']);
  await runOk('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
  await runOk('ip', ['-n', netns, 'route', 'replace', 'default', 'via', gateway]);
}

/** Deletes a namespace if present; returns an error text when it stays. */
export async function deleteNetns(name: string): Promise<string | null> {
  if (!netnsExists(name)) return null;
  const r = await run('ip', ['netns', 'del', name]);
  return netnsExists(name) ? `network namespace ${name}: ${r.stderr.trim()}` : null;
}

export async function deleteLink(name: string): Promise<string | null> {
  if (!(await linkExists(name))) return null;
  const r = await run('ip', ['link', 'del', name]);
  return (await linkExists(name)) ? `interface ${name}: ${r.stderr.trim()}` : null;
}

/** Pids of every process whose network namespace is `netns`. */
export async function netnsPids(netns: string): Promise<number[]> {
  if (!netnsExists(netns)) return [];
  const r = await run('ip', ['netns', 'pids', netns]);
  return r.stdout.split('\n').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
}
