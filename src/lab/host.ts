import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostPaths, hostPath } from './paths.js';
import { renderProfileSnippet, renderSetupScript, renderSshdConfig, STOCK_BASHRC, STOCK_PROFILE } from './hostsetup.js';
import { attachLoop, createSparseFile, GiB, makeXfs, MiB, setRotational, writeDataFile } from './loopdev.js';
import { createHostNetwork } from './network.js';
import { generateKey, spawnHost, waitForSshd } from './sshd.js';
import { processStartTime } from './pids.js';
import type { HostRecord, LoopRecord } from './state.js';

/** Builds one lab host: directories, keys, network, devices, namespaces and sshd. */

export interface HostBuildContext {
  labDir: string;
  bridge: string;
  gateway: string;
  clientPublicKeyFile: string;
  assetsDir: string;
  /** Persists the state file; called before each resource is created and after it is known. */
  save: () => void;
}

export interface HostDevices {
  used: boolean;
  spool: boolean;
}

export async function buildHost(ctx: HostBuildContext, host: HostRecord, devices: HostDevices): Promise<void> {
  const p = hostPaths(ctx.labDir, host.name);
  // Modes as on a stock server: the overlay's upper dir gives the host's /etc its mode.
  for (const d of [p.dir, p.etcWork, p.home, join(p.home, '.ssh')]) mkdirSync(d, { recursive: true, mode: 0o700 });
  for (const d of [p.etcUpper, join(p.etcUpper, 'profile.d'), p.spool, p.log, p.simState, p.runnerState, p.mnt]) {
    mkdirSync(d, { recursive: true });
    chmodSync(d, 0o755);
  }
  const clientKey = readFileSync(ctx.clientPublicKeyFile, 'utf8');
  writeFileSync(join(p.home, '.ssh', 'authorized_keys'), clientKey, { mode: 0o600 });
  writeFileSync(join(p.home, '.bashrc'), STOCK_BASHRC);
  writeFileSync(join(p.home, '.profile'), STOCK_PROFILE);
  writeFileSync(join(p.etcUpper, 'profile.d', 'mtafleet-lab.sh'), renderProfileSnippet(hostPath(ctx.assetsDir)), { mode: 0o644 });

  const [ed25519, ecdsa] = p.hostKeys as [string, string];
  await Promise.all([generateKey(ed25519, 'ed25519', host.name), generateKey(ecdsa, 'ecdsa', host.name)]);

  await createHostNetwork({ netns: host.netns, veth: host.veth, bridge: ctx.bridge, address: host.address, gateway: ctx.gateway });

  const nvme = await addLoop(ctx, host, { role: 'nvme', file: p.nvmeImage }, 2 * GiB);
  setRotational(nvme, false);
  if (devices.used) {
    const used = await addLoop(ctx, host, { role: 'used', file: p.usedImage }, 512 * MiB);
    await makeXfs(used);
    const mnt = join(p.dir, 'used-mnt');
    mkdirSync(mnt, { recursive: true });
    await writeDataFile(used, mnt);
  }
  let spoolDevice: string | undefined;
  if (devices.spool) {
    spoolDevice = await addLoop(ctx, host, { role: 'spool', file: p.spoolImage }, 1 * GiB);
    await makeXfs(spoolDevice);
    setRotational(spoolDevice, true);
  }

  writeFileSync(p.sshdConfig, renderSshdConfig({ address: host.address, paths: p, clientPublicKeyFile: ctx.clientPublicKeyFile, path: hostPath(ctx.assetsDir) }));
  writeFileSync(p.setupScript, renderSetupScript({ hostName: host.name, paths: p, sshdConfig: p.sshdConfig, spoolDevice }));

  const sshd = spawnHost(host.netns, p.setupScript, p.sshdLog);
  host.sshdPid = sshd.pid;
  host.sshdStartTime = processStartTime(sshd.pid) ?? undefined;
  ctx.save();
  await waitForSshd({ host: host.name, address: host.address, logFile: p.sshdLog, exited: sshd.exited });
}

/** Records the backing file, creates it, attaches it, records the device. */
async function addLoop(ctx: HostBuildContext, host: HostRecord, loop: LoopRecord, bytes: number): Promise<string> {
  host.loops.push(loop);
  ctx.save();
  createSparseFile(loop.file, bytes);
  loop.device = await attachLoop(loop.file);
  ctx.save();
  return loop.device;
}
