/**
 * Two inventory hosts (h1, h2) on one real sshd at 127.0.0.1, each with its own directory
 * and lock path, and a CLI runner (`node bin/mtafleet.js`) with a private state dir.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd, type Sshd } from '../../helpers/sshd.js';
import { buildOnce, ROOT, runCli } from '../../helpers/cli.js';

export { buildOnce, ROOT, runCli };

export interface Fixture {
  dir: string;
  stateDir: string;
  inventory: string;
  hostDir(name: string): string;
  write(name: string, text: string): string;
  /** Async on purpose: a blocking spawnSync would stop draining sshd's log pipe and hang sshd. */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  spawnCli(args: string[]): ChildProcess;
  cleanup(): Promise<void>;
  sshdLog(): string;
}

export async function startFixture(): Promise<Fixture> {
  buildOnce();
  const dir = mkdtempSync(join(tmpdir(), 'mtaf-eng-'));
  let sshd: Sshd | undefined;
  try {
    sshd = await startSshd({ prefix: 'mtaf-eng-sshd-' });
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, sshd.knownHostsLine + '\n');
    const hostDir = (name: string) => join(dir, 'hosts', name);
    const hosts = ['h1', 'h2'];
    for (const h of hosts) mkdirSync(hostDir(h), { recursive: true });
    const inventory = join(dir, 'inventory.yaml');
    const lines = ['all:', '  children:', '    mta:', '      hosts:'];
    for (const h of hosts) {
      lines.push(
        `        ${h}:`,
        `          ansible_host: 127.0.0.1`,
        `          ansible_port: ${sshd.port}`,
        `          ansible_user: root`,
        `          ansible_ssh_private_key_file: ${sshd.clientKeyPath}`,
        `          mtafleet_known_hosts: ${knownHosts}`,
        `          mtafleet_lock_path: ${join(dir, `lock-${h}`)}`,
        `          target_dir: ${hostDir(h)}`,
      );
    }
    writeFileSync(inventory, lines.join('\n') + '\n');
    const stateDir = join(dir, 'state');
    const env = { ...process.env, HOME: dir, NO_COLOR: '1' };
    const s = sshd;
    return {
      dir,
      stateDir,
      inventory,
      hostDir,
      write(name, text) {
        const p = join(dir, name);
        writeFileSync(p, text);
        return p;
      },
      cli: (args) => runCli([...args, '--state-dir', stateDir], env),
      spawnCli(args) {
        return spawn(process.execPath, [join(ROOT, 'bin/mtafleet.js'), ...args, '--state-dir', stateDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      },
      sshdLog: () => s.log(),
      async cleanup() {
        await s.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** sha256 of every file under a directory, by relative name (missing dir -> {}). */
export function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const list = execFileSync('find', [dir, '-type', 'f'], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  for (const f of list) out[f.slice(dir.length)] = createHash('sha256').update(readFileSync(f)).digest('hex');
  return out;
}
