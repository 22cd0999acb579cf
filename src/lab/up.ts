import { cpus } from 'node:os';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, MtafleetError } from '../util/errors.js';
import { assertLabHost } from './preflight.js';
import { bridgeAddress, bridgeName, hostAddress, hostName, netnsName, pickSubnet, scenarioForHost, subnetPrefix, validateHostCount, validateLabName, vethName } from './names.js';
import { assetsDir, defaultLabDir, hostPaths, labFiles, LABS_ROOT } from './paths.js';
import { loadState, saveState, type HostRecord, type LabState } from './state.js';
import { createBridge, listNetns, subnetsInUse } from './network.js';
import { generateKey } from './sshd.js';
import { buildHost } from './host.js';
import { mapLimit } from './proc.js';
import { applyScenarioFiles, simulatorPresent, startPmta } from './apply.js';
import { isScenarioName, scenarioSetup, SCENARIO_NAMES, type ScenarioName, type ScenarioSetup } from './scenarios.js';
import { renderInventory, renderKnownHosts, renderSshConfig } from './inventory.js';
import { labDown } from './down.js';
import { labStatus, type LabStatus } from './status.js';

export interface LabUpOptions {
  name?: string;
  hosts: number;
  /** Host i gets the i-th scenario; the last one repeats. Default: healthy. */
  scenarios?: string[];
  labDir?: string;
  /** Which hosts get a second disk that already holds XFS and data: the first (default) or all. */
  usedDevices?: 'first' | 'all' | 'none';
  /** Hosts built at once (2 cores: keep it modest). */
  concurrency?: number;
  /** Simulators without background work (see ScenarioContext.quiet). */
  quiet?: boolean;
}

/** In-host directories that must exist in the root filesystem to be bind-mount targets. */
const MOUNT_POINTS = ['/var/spool/pmta', '/var/log/pmta', '/var/lib/pmta-sim', '/var/lib/mtafleet'];

export class LabUpError extends MtafleetError {}

/** Brings a lab up; on failure everything created so far is removed again, then it throws. */
export async function labUp(opts: LabUpOptions): Promise<LabStatus> {
  assertLabHost();
  const name = validateLabName(opts.name ?? 'lab');
  const count = validateHostCount(opts.hosts);
  const labDir = opts.labDir ?? defaultLabDir(name);
  const files = labFiles(labDir);
  if (loadState(files.state)) {
    throw new InputError(`lab "${name}" already exists in ${labDir}: run "mtafleet lab down --name ${name}" first`);
  }
  if (existsSync(labDir) && readdirSync(labDir).length > 0) {
    throw new InputError(`lab directory ${labDir} is not empty: choose another --lab-dir, or run "mtafleet lab down --name ${name}" if an earlier lab crashed there`);
  }
  if (listNetns().some((ns) => ns.startsWith(`mtaf-${name}-`))) {
    throw new InputError(`namespaces of an earlier lab "${name}" are still there (mtaf-${name}-NN): run "mtafleet lab down --name ${name}" first`);
  }
  const scenarios = opts.scenarios ?? ['healthy'];
  for (const s of scenarios) {
    if (!isScenarioName(s)) throw new InputError(`unknown scenario "${s}" (known: ${SCENARIO_NAMES.join(', ')})`);
  }
  if (!simulatorPresent(assetsDir())) {
    throw new InputError(`the PowerMTA simulator is missing from ${assetsDir()} (a broken install of mtafleet: src/lab/assets ships with it)`);
  }

  mkdirSync(labDir, { recursive: true, mode: 0o700 });
  const subnet = pickSubnet(name, new Set([...(await subnetsInUse()), ...subnetsOfOtherLabs(labDir)]));
  const prefix = subnetPrefix(subnet);
  const state: LabState = {
    version: 1,
    name,
    labDir,
    createdAt: new Date().toISOString(),
    subnet,
    prefix,
    bridge: bridgeName(name),
    assetsDir: assetsDir(),
    hosts: [],
  };
  const save = () => saveState(files.state, state);
  save();
  try {
    await buildLab(state, count, scenarios, opts, save);
  } catch (err) {
    const left = await labDown({ name, labDir });
    const cleanup = left.problems.length > 0 ? `; cleanup left: ${left.problems.join('; ')}` : '';
    const message = err instanceof Error ? err.message : String(err);
    throw new LabUpError(`lab "${name}" could not be brought up: ${message}${cleanup}`, { cause: err });
  }
  return labStatus({ name, labDir });
}

async function buildLab(state: LabState, count: number, scenarios: string[], opts: LabUpOptions, save: () => void): Promise<void> {
  const files = labFiles(state.labDir);
  await generateKey(files.key, 'ed25519', `mtafleet-lab-${state.name}`);
  for (const dir of MOUNT_POINTS) mkdirSync(dir, { recursive: true });
  await createBridge(state.bridge, bridgeAddress(state.prefix));

  const cores = cpus().length;
  const indexes = Array.from({ length: count }, (_, k) => k + 1);
  await mapLimit(indexes, opts.concurrency ?? 8, async (index) => {
    const host: HostRecord = {
      name: hostName(index),
      index,
      address: hostAddress(state.prefix, index),
      netns: netnsName(state.name, index),
      veth: vethName(state.name, index),
      scenario: scenarioForHost(scenarios, index, 'healthy'),
      dir: hostPaths(state.labDir, hostName(index)).dir,
      loops: [],
    };
    state.hosts.push(host);
    state.hosts.sort((a, b) => a.index - b.index);
    save();
    const setup: ScenarioSetup = scenarioSetup(host.scenario as ScenarioName, { hostIndex: index, hostName: host.name, address: host.address, cores, quiet: opts.quiet });
    const usedDevices = opts.usedDevices ?? 'first';
    await buildHost(
      { labDir: state.labDir, bridge: state.bridge, gateway: bridgeAddress(state.prefix), clientPublicKeyFile: `${files.key}.pub`, assetsDir: state.assetsDir, save },
      host,
      { used: usedDevices === 'all' || (usedDevices === 'first' && index === 1), spool: setup.spoolOnOwnDevice },
    );
    await applyScenarioFiles(host.name, host.sshdPid as number, setup);
    await startPmta(host.name, host.sshdPid as number);
  });
  writeLabFiles(state);
}

/** known_hosts and inventory.yaml from the state and the hosts' public keys. */
export function writeLabFiles(state: LabState): void {
  const files = labFiles(state.labDir);
  const hosts = state.hosts.map((h) => ({
    name: h.name,
    address: h.address,
    publicKeys: hostPaths(state.labDir, h.name).hostKeys.map((k) => readFileSync(`${k}.pub`, 'utf8')),
  }));
  writeFileSync(files.knownHosts, renderKnownHosts(hosts), { mode: 0o644 });
  writeFileSync(files.sshConfig, renderSshConfig({ keyFile: files.key, knownHostsFile: files.knownHosts, hosts }), { mode: 0o644 });
  const device = (h: HostRecord, role: string) => h.loops.find((l) => l.role === role)?.device;
  writeFileSync(
    files.inventory,
    renderInventory({
      labName: state.name,
      keyFile: files.key,
      knownHostsFile: files.knownHosts,
      hosts: state.hosts.map((h) => ({ name: h.name, address: h.address, scenario: h.scenario, nvmeDevice: device(h, 'nvme'), usedDevice: device(h, 'used'), spoolDevice: device(h, 'spool') })),
    }),
    { mode: 0o644 },
  );
}

/** Subnets recorded by other labs' state files (their bridge may not exist yet). */
function subnetsOfOtherLabs(ownDir: string): number[] {
  if (!existsSync(LABS_ROOT)) return [];
  const out: number[] = [];
  for (const entry of readdirSync(LABS_ROOT)) {
    const dir = join(LABS_ROOT, entry);
    if (dir === ownDir) continue;
    try {
      const s = loadState(labFiles(dir).state);
      if (s) out.push(s.subnet);
    } catch {
      // a damaged state file of another lab: its bridge address (if any) is still seen by subnetsInUse
    }
  }
  return out;
}
