import { existsSync, readdirSync } from 'node:fs';
import { assertLabHost } from './preflight.js';
import { validateLabName } from './names.js';
import { defaultLabDir, HOST_MOUNT_DIR, labFiles, LABS_ROOT } from './paths.js';
import { loadState, type HostRecord } from './state.js';
import { netnsPids } from './network.js';
import { commandLine, isSameProcess } from './pids.js';
import { InputError } from '../util/errors.js';

export interface LabHostStatus {
  name: string;
  address: string;
  netns: string;
  scenario: string;
  sshdPid: number | null;
  sshdRunning: boolean;
  pmtaRunning: boolean;
  nvmeDevice: string | null;
  usedDevice: string | null;
  spoolDevice: string | null;
  /** Directory inside the host meant for mounting new disks. */
  mountDir: string;
}

export interface LabStatus {
  name: string;
  labDir: string;
  subnet: string;
  bridge: string;
  inventoryFile: string;
  knownHostsFile: string;
  keyFile: string;
  sshConfigFile: string;
  hosts: LabHostStatus[];
}

/** The lab as recorded, with liveness checked now. Throws InputError when there is no such lab. */
export async function labStatus(opts: { name?: string; labDir?: string }): Promise<LabStatus> {
  assertLabHost();
  const name = validateLabName(opts.name ?? 'lab');
  const labDir = opts.labDir ?? defaultLabDir(name);
  const files = labFiles(labDir);
  const state = loadState(files.state);
  if (!state) {
    const others = existingLabs().filter((n) => n !== name);
    const hint = others.length > 0 ? ` (labs here: ${others.join(', ')}; pick one with --name)` : '; start one with "mtafleet lab up"';
    throw new InputError(`there is no lab "${name}" (no ${files.state})${hint}`);
  }
  const hosts = await Promise.all(state.hosts.map(hostStatus));
  return {
    name: state.name,
    labDir,
    subnet: `${state.prefix}.0/24`,
    bridge: state.bridge,
    inventoryFile: files.inventory,
    knownHostsFile: files.knownHosts,
    keyFile: files.key,
    sshConfigFile: files.sshConfig,
    hosts,
  };
}

async function hostStatus(h: HostRecord): Promise<LabHostStatus> {
  const device = (role: string) => h.loops.find((l) => l.role === role)?.device ?? null;
  const pids = await netnsPids(h.netns);
  return {
    name: h.name,
    address: h.address,
    netns: h.netns,
    scenario: h.scenario,
    sshdPid: h.sshdPid ?? null,
    sshdRunning: h.sshdPid !== undefined && isSameProcess(h.sshdPid, h.sshdStartTime),
    pmtaRunning: pids.some((pid) => commandLine(pid).includes('pmtad')),
    nvmeDevice: device('nvme'),
    usedDevice: device('used'),
    spoolDevice: device('spool'),
    mountDir: HOST_MOUNT_DIR,
  };
}

/** Plain-text table for `lab status`. Pure. */
export function renderStatusTable(s: LabStatus): string {
  const rows = [['HOST', 'ADDRESS', 'SCENARIO', 'SSHD', 'PMTA', 'NVME', 'USED', 'SPOOL']];
  for (const h of s.hosts) {
    rows.push([h.name, h.address, h.scenario, h.sshdRunning ? `up (${h.sshdPid})` : 'down', h.pmtaRunning ? 'running' : 'stopped', h.nvmeDevice ?? '-', h.usedDevice ?? '-', h.spoolDevice ?? '-']);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
  return [
    `lab ${s.name}: ${s.hosts.length} hosts on ${s.subnet} (bridge ${s.bridge}); new disks mount under ${s.hosts[0]?.mountDir ?? '/mnt/nvme'}`,
    ...lines,
    `inventory: ${s.inventoryFile}`,
    `ssh: ssh -F ${s.sshConfigFile} ${s.hosts[0]?.name ?? 'mta01'}`,
  ].join('\n') + '\n';
}

/** Names of the labs with a state file under the default root. */
export function existingLabs(): string[] {
  if (!existsSync(LABS_ROOT)) return [];
  return readdirSync(LABS_ROOT).filter((n) => existsSync(labFiles(`${LABS_ROOT}/${n}`).state)).sort();
}
