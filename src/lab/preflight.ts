import { existsSync } from 'node:fs';
import { InputError } from '../util/errors.js';

/** Tools the lab runs, with the Debian package that provides each. */
export const REQUIRED_TOOLS: ReadonlyArray<{ file: string; pkg: string }> = [
  { file: '/usr/sbin/sshd', pkg: 'openssh-server' },
  { file: '/usr/bin/ssh-keygen', pkg: 'openssh-client' },
  { file: '/usr/sbin/ip', pkg: 'iproute2' },
  { file: '/usr/sbin/losetup', pkg: 'util-linux' },
  { file: '/usr/bin/nsenter', pkg: 'util-linux' },
  { file: '/usr/bin/unshare', pkg: 'util-linux' },
  { file: '/usr/sbin/mkfs.xfs', pkg: 'xfsprogs' },
  { file: '/usr/sbin/sysctl', pkg: 'procps' },
];

export function missingPackages(exists: (file: string) => boolean = existsSync): string[] {
  const missing = REQUIRED_TOOLS.filter((t) => !exists(t.file) && !exists(t.file.replace('/usr/', '/')));
  return [...new Set(missing.map((t) => t.pkg))];
}

/** Throws InputError unless we are root on Linux and every tool is installed. */
export function assertLabHost(platform: NodeJS.Platform = process.platform, uid: number | undefined = process.getuid?.()): void {
  if (platform !== 'linux') {
    throw new InputError(`the lab needs Linux (network and mount namespaces, loop devices); this is ${platform}`);
  }
  if (uid !== 0) {
    throw new InputError('the lab needs root (it creates network namespaces, loop devices and mounts): run it with sudo');
  }
  const missing = missingPackages();
  if (missing.length > 0) {
    throw new InputError(`the lab needs these Debian packages: ${missing.join(' ')} (apt-get install ${missing.join(' ')})`);
  }
}
