import { quote } from '../transport/quote.js';
import { HOST_MOUNT_DIR } from './paths.js';
import type { hostPaths } from './paths.js';

/** Text of one host's files: sshd_config, the namespace setup script, shell start-up files. Pure. */

type HostPaths = ReturnType<typeof hostPaths>;

export function renderSshdConfig(opts: { address: string; paths: HostPaths; clientPublicKeyFile: string; path: string }): string {
  const { address, paths } = opts;
  return [
    '# Written by mtafleet lab: one lab host\'s sshd (runs inside the host\'s namespaces).',
    `ListenAddress ${address}:22`,
    ...paths.hostKeys.map((k) => `HostKey ${k}`),
    'PidFile none',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // The host's own (private) authorized_keys, and the lab's key in any case.
    `AuthorizedKeysFile .ssh/authorized_keys ${opts.clientPublicKeyFile}`,
    'StrictModes yes',
    `SetEnv PATH=${opts.path}`,
    'AcceptEnv LANG LC_*',
    'Subsystem sftp internal-sftp',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    // The runner opens many channels and connections at once (forks, batches).
    'MaxSessions 100',
    'MaxStartups 200:30:400',
    'LogLevel INFO',
    '',
  ].join('\n');
}

/**
 * Runs as `ip netns exec NS unshare --mount --uts --propagation private sh setup.sh`: builds the
 * host's private mounts, then becomes its sshd, so every session lives in these namespaces.
 * /etc is an overlay (not single-file binds) so rename-over, `sed -i` and `mount -a` behave
 * as on a real server.
 */
export function renderSetupScript(opts: { hostName: string; paths: HostPaths; sshdConfig: string; spoolDevice?: string }): string {
  const p = opts.paths;
  const q = quote;
  const spool = opts.spoolDevice
    ? `mount -t xfs ${q(opts.spoolDevice)} /var/spool/pmta`
    : `mount --bind ${q(p.spool)} /var/spool/pmta`;
  return [
    '# Written by mtafleet lab: private mounts of one lab host, then its sshd.',
    'set -e',
    `hostname ${q(opts.hostName)}`,
    `mount -t overlay overlay -o ${q(`lowerdir=/etc,upperdir=${p.etcUpper},workdir=${p.etcWork}`)} /etc`,
    // The host resolves its own name, as a Debian install does (127.0.1.1): sudo looks it up
    // on every call and waited ~20 s for DNS (no network in the lab) without it.
    `grep -qsx ${q(`127.0.1.1\t${opts.hostName}`)} /etc/hosts || printf '127.0.1.1\\t%s\\n' ${q(opts.hostName)} >> /etc/hosts`,
    spool,
    `mount --bind ${q(p.log)} /var/log/pmta`,
    `mount --bind ${q(p.simState)} /var/lib/pmta-sim`,
    `mount --bind ${q(p.runnerState)} /var/lib/mtafleet`,
    `mount --bind ${q(p.home)} /root`,
    `mount --bind ${q(p.mnt)} /mnt`,
    // A private /run/lock (/var/lock links there): per-host locks (e.g. a run lock configured there)
    // must not be shared by every lab host, as they would be on the machine's /run.
    'mount -t tmpfs -o mode=1777,size=1m,nosuid,nodev,noexec mtafleet-lab-lock /run/lock',
    `mkdir -p ${q(HOST_MOUNT_DIR)} /run/sshd`,
    `exec /usr/sbin/sshd -D -e -f ${q(opts.sshdConfig)}`,
    '',
  ].join('\n');
}

/** Login shells source /etc/profile, which resets PATH: put the simulator's bin back first. */
export function renderProfileSnippet(path: string): string {
  return `# Written by mtafleet lab: the PowerMTA simulator's commands come first.\nPATH=${quote(path)}\nexport PATH\n`;
}

/** A stock root home: the lab machine's own start-up files cost ~100 ms per session. */
export const STOCK_BASHRC = '# Stock lab host ~/.bashrc\n[ -z "$PS1" ] && return\nPS1=\'\\h:\\w\\$ \'\n';
export const STOCK_PROFILE = '# Stock lab host ~/.profile\nif [ -n "$BASH_VERSION" ] && [ -f "$HOME/.bashrc" ]; then . "$HOME/.bashrc"; fi\n';
