/**
 * Shared pieces of the reliability tests: the CLI (test/helpers/cli.ts), and a one-host fleet
 * on a real sshd at 127.0.0.1 with a private state dir.
 * Everything lives under one temp dir `mtaf-rel-*`, removed by cleanup().
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd, type Sshd, type SshdOptions } from '../helpers/sshd.js';
import { buildOnce, ROOT, runCli as runCliFor, type CliResult } from '../helpers/cli.js';

export { buildOnce, ROOT, type CliResult };

/** The CLI, killed after 120 s (a reliability case that hangs fails fast). */
export function runCli(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CliResult> {
  return runCliFor(args, env, stdin, 120_000);
}

export interface OneHost {
  dir: string;
  sshd: Sshd;
  stateDir: string;
  knownHosts: string;
  env: NodeJS.ProcessEnv;
  /**
   * Writes an inventory for host `h1` on this sshd (extra lines go under h1's vars); `at`
   * points h1 at another port or known_hosts file (an impostor, an empty known_hosts).
   */
  inventory(name: string, extraHostVars?: string[], at?: { port?: number; knownHosts?: string }): string;
  write(name: string, text: string | Buffer): string;
  cli(args: string[], stdin?: string): Promise<CliResult>;
  cleanup(): Promise<void>;
}

export async function startOneHost(tag: string, sshdOpts: SshdOptions = {}): Promise<OneHost> {
  buildOnce();
  const dir = mkdtempSync(join(tmpdir(), `mtaf-rel-${tag}-`));
  let sshd: Sshd | undefined;
  try {
    sshd = await startSshd({ prefix: `mtaf-rel-sshd-${tag}-`, ...sshdOpts });
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, sshd.knownHostsLine + '\n');
    const stateDir = join(dir, 'state');
    const env = { ...process.env, HOME: dir, NO_COLOR: '1', MTAFLEET_STATE_DIR: stateDir };
    const s = sshd;
    const write = (name: string, text: string | Buffer) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    return {
      dir,
      sshd: s,
      stateDir,
      knownHosts,
      env,
      write,
      inventory(name, extra = [], at = {}) {
        return write(
          name,
          [
            'all:',
            '  children:',
            '    mta:',
            '      hosts:',
            '        h1:',
            '          ansible_host: 127.0.0.1',
            `          ansible_port: ${at.port ?? s.port}`,
            '          ansible_user: root',
            `          ansible_ssh_private_key_file: ${s.clientKeyPath}`,
            `          mtafleet_known_hosts: ${at.knownHosts ?? knownHosts}`,
            `          mtafleet_lock_path: ${join(dir, 'lock-h1')}`,
            ...extra.map((l) => `          ${l}`),
          ].join('\n') + '\n',
        );
      },
      cli: (args, stdin) => runCli(args, env, stdin),
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

/** Every regular file under `dir` (recursive), for grepping artifacts. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else if (st.isFile()) out.push(p);
  }
  return out;
}

export function readText(path: string): string {
  return readFileSync(path, 'latin1');
}
