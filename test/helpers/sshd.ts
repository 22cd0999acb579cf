/**
 * A real OpenSSH server for integration tests: its own temp dir (host key, client key,
 * authorized_keys, sshd_config), listening on a free 127.0.0.1 port, run in the foreground
 * (-D -e) as a child process. stop() kills it and removes the dir.
 *
 *   const sshd = await startSshd();
 *   // connect as root with sshd.clientKeyPath, verify with sshd.knownHostsLine
 *   await sshd.stop();
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SshdOptions {
  /** Temp dir name prefix (default mtaf-tr-sshd-). */
  prefix?: string;
  /** Host key type (default ed25519). */
  hostKeyType?: 'ed25519' | 'ecdsa' | 'rsa';
  /** Extra sshd_config lines (they win over the defaults). */
  extraConfig?: string[];
  /** Extra public keys allowed to log in (authorized_keys lines). */
  authorizedKeys?: string[];
  /** Reuse this client key pair (path of the private key) instead of generating one. */
  clientKeyPath?: string;
  /** Listen address (default 127.0.0.1). */
  listenAddress?: string;
  /** Run sshd inside this network namespace (ip netns exec); the caller owns the namespace. */
  netns?: string;
  /**
   * Run sshd through this command prefix, which must exec its arguments in the same process
   * (e.g. unshare -m ... sh -c '...; exec "$@"' sh), so stop() still kills sshd itself.
   */
  wrap?: string[];
}

export interface Sshd {
  port: number;
  host: string;
  /** `ssh-ed25519 AAAA...` (no comment). */
  hostKeyPub: string;
  /** A known_hosts line for this server: `[127.0.0.1]:PORT ssh-ed25519 AAAA...`. */
  knownHostsLine: string;
  /** Private key accepted for every user (AuthorizedKeysFile is in the temp dir). */
  clientKeyPath: string;
  dir: string;
  process: ChildProcess;
  /** The sshd log so far (its -E log file). */
  log(): string;
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function keygen(path: string, type: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'mtaf-tr', '-f', path], { stdio: 'ignore' });
  return readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  const host = opts.listenAddress ?? '127.0.0.1';
  const dir = mkdtempSync(join(tmpdir(), opts.prefix ?? 'mtaf-tr-sshd-'));
  chmodSync(dir, 0o755);
  // sshd's privilege separation directory; Debian creates it only when the service starts.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  try {
    const hostKeyPath = join(dir, 'host_key');
    const hostKeyPub = keygen(hostKeyPath, opts.hostKeyType ?? 'ed25519');
    let clientKeyPath = opts.clientKeyPath;
    let clientPub: string;
    if (clientKeyPath) {
      clientPub = readFileSync(`${clientKeyPath}.pub`, 'utf8').trim();
    } else {
      clientKeyPath = join(dir, 'client_key');
      clientPub = keygen(clientKeyPath, 'ed25519');
    }
    const authorized = join(dir, 'authorized_keys');
    writeFileSync(authorized, [clientPub, ...(opts.authorizedKeys ?? [])].join('\n') + '\n', { mode: 0o644 });
    return await launch(dir, host, hostKeyPath, hostKeyPub, clientKeyPath, authorized, opts.extraConfig ?? [], opts.netns, opts.wrap ?? []);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function launch(
  dir: string,
  host: string,
  hostKeyPath: string,
  hostKeyPub: string,
  clientKeyPath: string,
  authorized: string,
  extra: string[],
  netns: string | undefined,
  wrap: string[],
): Promise<Sshd> {
  // A port can be taken between freePort() and sshd's bind: retry a few times.
  for (let attempt = 1; ; attempt++) {
    // Inside a fresh namespace nothing listens yet, so any port will do.
    const port = netns ? 20_000 + Math.floor(Math.random() * 40_000) : await freePort(host);
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        // sshd takes the first value it reads for a keyword, so callers' lines go first.
        ...extra,
        `ListenAddress ${host}`,
        `Port ${port}`,
        `HostKey ${hostKeyPath}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorized}`,
        'UsePAM no',
        'StrictModes no',
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'AllowTcpForwarding yes',
        'MaxSessions 50',
        'MaxStartups 100:30:200',
        'LogLevel VERBOSE',
        'Subsystem sftp internal-sftp',
      ].join('\n') + '\n',
    );
    // sshd logs to a file, not a pipe: a test that blocks its event loop (spawnSync) would
    // otherwise stop the pipe draining, and sshd blocks once 64 KiB of log is unread.
    const logFile = join(dir, `sshd-${attempt}.log`);
    const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
    const args = ['-D', '-E', logFile, '-f', config];
    const child = netns
      ? spawn('ip', ['netns', 'exec', netns, SSHD, ...args], { stdio: 'ignore' })
      : wrap.length > 0
        ? spawn(wrap[0]!, [...wrap.slice(1), SSHD, ...args], { stdio: 'ignore' })
        : spawn(SSHD, args, { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const ok = await waitForListen(log, child, 10_000);
    if (!ok) {
      child.kill('SIGKILL');
      await exited;
      if (attempt < 3 && /Address already in use/.test(log())) continue;
      throw new Error(`sshd did not start on ${host}:${port}:\n${log()}`);
    }
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    };
    return {
      port,
      host,
      hostKeyPub,
      knownHostsLine: `[${host}]:${port} ${hostKeyPub}`,
      clientKeyPath,
      dir,
      process: child,
      log,
      stop,
    };
  }
}

/** sshd logs "Server listening on ADDR port N." once it has bound and listens. */
async function waitForListen(log: () => string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    if (/Server listening on/.test(log())) return true;
    await new Promise((r) => setTimeout(r, 30));
  }
  return false;
}
