/** A simulator host in its own network namespace (prefix mtaf-sim-) with a PMTA_SIM_ROOT temp dir. */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { scenarioSetup, type ScenarioName } from '../../../src/lab/scenarios.js';
import { BIN } from './simd.js';

export interface NsHost {
  ns: string;
  root: string;
  sh(cmd: string): Promise<{ stdout: string; stderr: string; code: number }>;
  pid(): number;
  down(): Promise<void>;
}

function exec(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err ? (typeof err.code === 'number' ? err.code : 1) : 0 });
    });
  });
}

/** spoolMount: a directory (e.g. a mounted loop device) bind-mounted as the host's spool. */
export async function startNsHost(scenario: ScenarioName, index: number, extraFiles: Record<string, string> = {}, spoolMount?: string): Promise<NsHost> {
  const ns = `mtaf-sim-${scenario}-${process.pid}`.slice(0, 40);
  const root = mkdtempSync(path.join(tmpdir(), 'mtaf-sim-scen-'));
  let bound = false;
  const env = { ...process.env, PMTA_SIM_ROOT: root, PATH: `${BIN}:${process.env.PATH}` };
  const host: NsHost = {
    ns,
    root,
    sh: (cmd) => exec('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], env),
    pid: () => Number(readFileSync(path.join(root, 'var/lib/pmta-sim/pmtad.pid'), 'utf8')),
    async down() {
      await host.sh('systemctl stop pmta');
      const pidFile = path.join(root, 'var/lib/pmta-sim/pmtad.pid');
      if (existsSync(pidFile)) {
        try {
          process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      await exec('ip', ['netns', 'del', ns]);
      if (bound) await exec('umount', [path.join(root, 'var/spool/pmta')]);
      rmSync(root, { recursive: true, force: true });
    },
  };
  const r = await exec('ip', ['netns', 'add', ns]);
  if (r.code !== 0) throw new Error(`ip netns add ${ns}: ${r.stderr}`);
  try {
    // lo plus a veth pair inside the namespace: the host's own non-loopback address.
    const net = await host.sh('ip link set lo up && ip link add mtaf-sim-a type veth peer name mtaf-sim-b && ip addr add 10.254.0.2/24 dev mtaf-sim-a && ip link set mtaf-sim-a up && ip link set mtaf-sim-b up');
    if (net.code !== 0) throw new Error(`netns setup: ${net.stderr}`);
    const setup = scenarioSetup(scenario, { hostIndex: index, hostName: `simhost${index}`, address: '127.0.0.1', cores: 2 });
    for (const [file, text] of Object.entries({ ...setup.files, ...extraFiles })) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    }
    for (const d of ['var/spool/pmta', 'var/log/pmta']) mkdirSync(path.join(root, d), { recursive: true });
    if (spoolMount) {
      const b = await exec('mount', ['--bind', spoolMount, path.join(root, 'var/spool/pmta')]);
      if (b.code !== 0) throw new Error(`bind mount: ${b.stderr}`);
      bound = true;
    }
    for (const [k, v] of Object.entries(setup.sysctls)) {
      const s = await host.sh(`sysctl -w ${k}='${v}'`);
      if (s.code !== 0) throw new Error(`sysctl ${k}: ${s.stderr}`);
    }
    const start = await host.sh('systemctl start pmta');
    if (start.code !== 0) throw new Error(`systemctl start pmta: ${start.stderr}\n${readFileSync(path.join(root, 'var/log/pmta/pmtad.out'), 'utf8')}`);
  } catch (err) {
    await host.down();
    throw err;
  }
  return host;
}
