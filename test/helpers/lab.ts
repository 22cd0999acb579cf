/**
 * A lab fleet for integration tests (see /tmp contract "lab"): real hosts in network and
 * mount namespaces with their own sshd and the PowerMTA simulator.
 *
 *   let lab: LabHandle;
 *   beforeAll(async () => { lab = await startLab({ name: 'ta1', hosts: 2, scenarios: ['healthy'] }); });
 *   afterAll(async () => { await lab?.down(); });
 *   // mtafleet commands: -i lab.inventoryFile (key and known_hosts come with it)
 *   // inside a host without ssh: await lab.run('mta01', 'cat /etc/pmta/config')
 *
 * Name labs with your task's prefix (1-6 chars a-z0-9). A lab left over by a crashed run with
 * the same name is removed first.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll } from 'vitest';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { labDown, labStatus, labUp, runInHost, type LabStatus } from '../../src/lab/index.js';

export interface LabHostHandle {
  name: string;
  address: string;
  scenario: string;
  netns: string;
  nvmeDevice: string;
  usedDevice?: string;
  spoolDevice?: string;
  sshdPid: number;
}

export interface LabHandle {
  name: string;
  labDir: string;
  inventoryFile: string;
  knownHostsFile: string;
  keyFile: string;
  hosts: LabHostHandle[];
  /** Runs shell text inside the host's namespaces (no ssh), with the host's PATH. */
  run(hostName: string, shellText: string): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** Removes the lab; throws when something could not be removed. Safe to call twice. */
  down(): Promise<void>;
}

export interface StartLabOptions {
  name: string;
  hosts: number;
  scenarios?: string[];
  usedDevices?: 'first' | 'all' | 'none';
  /** 'cli' runs bin/mtafleet.js (needs a build); default runs the lab code in-process. */
  via?: 'in-process' | 'cli';
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * MTAF_LAB_TAG (one of a-z): several checkouts running the same test file at once on one
 * machine (parallel work in git worktrees) get distinct labs; CI leaves it unset.
 */
export function labName(name: string, tag = process.env.MTAF_LAB_TAG): string {
  if (!tag) return name;
  if (!/^[a-z]$/.test(tag)) throw new Error(`MTAF_LAB_TAG must be one letter a-z, not ${JSON.stringify(tag)}`);
  return tag + createHash('sha256').update(name).digest('hex').slice(0, 5);
}

export async function startLab(given: StartLabOptions): Promise<LabHandle> {
  const opts = { ...given, name: labName(given.name) };
  await labDown({ name: opts.name }); // leftovers of a crashed run with this name
  let status: LabStatus;
  if (opts.via === 'cli') {
    const args = ['lab', 'up', String(opts.hosts), '--name', opts.name, '--format', 'json'];
    if (opts.scenarios) args.push('--scenarios', opts.scenarios.join(','));
    if (opts.usedDevices) args.push('--used-devices', opts.usedDevices);
    const r = await cli(args);
    if (r.exitCode !== 0) throw new Error(`mtafleet lab up failed (exit ${r.exitCode}): ${r.stderr}`);
    status = JSON.parse(r.stdout) as LabStatus;
  } else {
    status = await labUp({ name: opts.name, hosts: opts.hosts, scenarios: opts.scenarios, usedDevices: opts.usedDevices });
  }
  return handleFor(status, opts.via ?? 'in-process');
}

/** A handle for a lab that is already up (e.g. started by `mtafleet lab up`). */
export async function attachLab(name: string): Promise<LabHandle> {
  return handleFor(await labStatus({ name }), 'in-process');
}

function handleFor(status: LabStatus, via: 'in-process' | 'cli'): LabHandle {
  const hosts: LabHostHandle[] = status.hosts.map((h) => ({
    name: h.name,
    address: h.address,
    scenario: h.scenario,
    netns: h.netns,
    nvmeDevice: h.nvmeDevice ?? '',
    ...(h.usedDevice ? { usedDevice: h.usedDevice } : {}),
    ...(h.spoolDevice ? { spoolDevice: h.spoolDevice } : {}),
    sshdPid: h.sshdPid ?? 0,
  }));
  return {
    name: status.name,
    labDir: status.labDir,
    inventoryFile: status.inventoryFile,
    knownHostsFile: status.knownHostsFile,
    keyFile: status.keyFile,
    hosts,
    async run(hostName, shellText) {
      const host = hosts.find((h) => h.name === hostName);
      if (!host) throw new Error(`lab ${status.name} has no host ${hostName} (hosts: ${hosts.map((h) => h.name).join(', ')})`);
      const r = await runInHost(host.sshdPid, shellText);
      return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
    },
    async down() {
      if (via === 'cli') {
        const r = await cli(['lab', 'down', '--name', status.name]);
        if (r.exitCode !== 0) throw new Error(`mtafleet lab down failed: ${r.stderr}`);
        return;
      }
      const result = await labDown({ name: status.name, labDir: status.labDir });
      if (result.problems.length > 0) throw new Error(`lab ${status.name} not fully removed: ${result.problems.join('; ')}`);
    },
  };
}

/** Runs bin/mtafleet.js with args; resolves with its output and exit code. */
export function cli(args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'mtafleet.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, exitCode: code ?? -1 }));
  });
}

/** A lab for the enclosing describe block and a temp dir beside it (`dir`), filled in before its tests. */
export interface LabFixture {
  lab: LabHandle;
  dir: string;
}

/**
 * Starts the lab before the block's tests and removes it and the temp dir after them, also when
 * a test or the start failed.
 */
export function useLab(opts: StartLabOptions): LabFixture {
  const fx = {} as LabFixture;
  beforeAll(async () => {
    fx.dir = mkdtempSync(join(tmpdir(), `mtaf-${opts.name}-`));
    fx.lab = await startLab(opts);
  }, 300_000);
  afterAll(async () => {
    try {
      await fx.lab?.down();
    } finally {
      if (fx.dir) rmSync(fx.dir, { recursive: true, force: true });
    }
  }, 180_000);
  return fx;
}
