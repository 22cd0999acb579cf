import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assertLabHost } from './preflight.js';
import { bridgeName, validateLabName } from './names.js';
import { defaultLabDir, labFiles } from './paths.js';
import { loadState, type HostRecord } from './state.js';
import { deleteLink, deleteNetns, listNetns, netnsExists, netnsPids } from './network.js';
import { detachLoopsOfFile, loopsUnder } from './loopdev.js';
import { commandLine, processStartTime, terminate } from './pids.js';
import { mapLimit } from './proc.js';

export interface LabDownResult {
  name: string;
  /** False when there was nothing to remove (already down). */
  found: boolean;
  removed: { hosts: number; processes: number };
  /** What could not be removed, in words. Empty when the lab is fully gone. */
  problems: string[];
}

/**
 * Removes a lab from its state file: processes (recorded sshd pids, every process in the
 * hosts' network namespaces), loop devices, namespaces, veths, bridge, lab dir. Safe to run
 * twice and after a crash; without a state file it still removes the namespaces and bridge
 * named after the lab.
 */
export async function labDown(opts: { name?: string; labDir?: string }): Promise<LabDownResult> {
  assertLabHost();
  const name = validateLabName(opts.name ?? 'lab');
  const labDir = opts.labDir ?? defaultLabDir(name);
  const state = loadState(labFiles(labDir).state);
  const hosts = state?.hosts ?? orphanHosts(name);
  const bridge = state?.bridge ?? bridgeName(name);
  const problems: string[] = [];
  let processes = 0;
  const found = state !== null || hosts.length > 0 || existsSync(labDir);

  // All hosts at once: stopping is mostly waiting for daemons to exit after SIGTERM.
  await mapLimit(hosts, 64, async (host) => {
    const killed = await stopHostProcesses(host);
    processes += killed.count;
    problems.push(...killed.problems);
  });
  await mapLimit(hosts, 8, async (host) => {
    for (const loop of host.loops) {
      const left = await detachLoopsOfFile(loop.file);
      if (left) problems.push(left);
    }
    const ns = await deleteNetns(host.netns);
    if (ns) problems.push(ns);
    const veth = await deleteLink(host.veth);
    if (veth) problems.push(veth);
  });
  // Backing files the state does not name (a crash before it was written, or no state file).
  const known = new Set(hosts.flatMap((h) => h.loops.map((l) => l.file)));
  for (const extra of await loopsUnder(labDir)) {
    if (known.has(extra.file)) continue;
    known.add(extra.file);
    const left = await detachLoopsOfFile(extra.file);
    if (left) problems.push(left);
  }
  const br = await deleteLink(bridge);
  if (br) problems.push(br);

  if (existsSync(labDir)) {
    if (problems.length > 0) {
      problems.push(`kept ${labDir} (holds the state needed to retry "mtafleet lab down --name ${name}")`);
    } else if (state !== null) {
      rmSync(labDir, { recursive: true, force: true }); // `up` made it, empty, for this lab
    } else {
      problems.push(...removeLabEntries(labDir));
    }
  }
  return { name, found, removed: { hosts: hosts.length, processes }, problems };
}

async function stopHostProcesses(host: HostRecord): Promise<{ count: number; problems: string[] }> {
  const targets: Array<{ pid: number; startTime?: string }> = [];
  if (host.sshdPid !== undefined && processStartTime(host.sshdPid) !== null) {
    targets.push({ pid: host.sshdPid, startTime: host.sshdStartTime });
  }
  // Everything living in the host's network namespace was started inside the host (ssh
  // sessions, the simulator's daemons and their children). When the namespace's name is
  // already gone (a crashed down), the simulator's pid files still lead to its daemon.
  const inHost = netnsExists(host.netns) ? await netnsPids(host.netns) : simulatorPids(host);
  for (const pid of inHost) targets.push({ pid, startTime: processStartTime(pid) ?? undefined });
  const unique = [...new Map(targets.filter((t) => t.startTime !== undefined).map((t) => [t.pid, t])).values()];
  const left = await terminate(unique);
  // A process started in the namespace while we were stopping the others.
  const late = await netnsPids(host.netns);
  const stillLeft = late.length > 0 ? await terminate(late.map((pid) => ({ pid, startTime: processStartTime(pid) ?? undefined }))) : [];
  const remaining = [...new Set([...left, ...stillLeft])];
  const problems = remaining.length > 0 ? [`${host.name}: processes ${remaining.join(', ')} would not die`] : [];
  return { count: unique.length, problems };
}

/**
 * Pids in the host's /var/lib/pmta-sim/*.pid (readable from the host directory) that are
 * still simulator processes: finds a daemon even when its namespace's name is already gone.
 */
function simulatorPids(host: HostRecord): number[] {
  if (host.dir === '') return [];
  const dir = join(host.dir, 'pmta-sim');
  if (!existsSync(dir)) return [];
  const pids: number[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.pid')) continue;
    const pid = Number(readFileSync(join(dir, f), 'utf8').trim());
    if (Number.isInteger(pid) && pid > 1 && commandLine(pid).includes('pmta')) pids.push(pid);
  }
  return pids;
}

/** Without a state file: the namespaces named after the lab (mtaf-<name>-NN) are still ours. */
function orphanHosts(name: string): HostRecord[] {
  const pattern = new RegExp(`^mtaf-${name}-(\\d{2,3})$`);
  return listNetns().flatMap((ns) => {
    const m = pattern.exec(ns);
    if (!m) return [];
    const index = Number(m[1]);
    return [{ name: `mta${m[1]}`, index, address: '', netns: ns, veth: ns, scenario: '', dir: '', loops: [] }];
  });
}


/** What `up` writes into a lab dir. Without a state file only these go, never a whole unknown dir. */
const LAB_ENTRIES = ['hosts', 'client_key', 'client_key.pub', 'known_hosts', 'ssh_config', 'inventory.yaml', 'state.json', 'state.json.tmp'];

function removeLabEntries(labDir: string): string[] {
  for (const entry of LAB_ENTRIES) rmSync(join(labDir, entry), { recursive: true, force: true });
  const left = readdirSync(labDir);
  if (left.length > 0) return [`kept ${labDir}: it holds files the lab did not write (${left.slice(0, 5).join(', ')})`];
  rmdirSync(labDir);
  return [];
}
