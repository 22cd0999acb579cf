#!/usr/bin/env node
// Installs the Debian packages the lab fleet and the integration tests need, when missing.
// Called by `npm test`, `npm run demo` and .ci/run, so a fresh Debian machine needs nothing by hand.
import { execFileSync, spawnSync } from 'node:child_process';

// package -> a file it provides (checked instead of asking dpkg, which is slower)
const NEEDED = {
  'openssh-server': '/usr/sbin/sshd',
  'openssh-client': '/usr/bin/ssh-keygen',
  iproute2: '/usr/sbin/ip',
  xfsprogs: '/usr/sbin/mkfs.xfs',
  sysstat: '/usr/bin/iostat',
  'util-linux': '/usr/sbin/losetup',
  fio: '/usr/bin/fio',
  sudo: '/usr/bin/sudo',
  procps: '/usr/sbin/sysctl',
  // headless rendering test of the HTML audit report
  chromium: '/usr/bin/chromium',
  // the accounting awk program is tested under both of the awks found on stock servers
  mawk: '/usr/bin/mawk',
  gawk: '/usr/bin/gawk',
  // the reference for inventories and --limit (Debian 12: ansible-core 2.14)
  'ansible-core': '/usr/bin/ansible-inventory',
  // `script`: a pseudo-terminal for the tests of terminal output and the passphrase prompt
  bsdutils: '/usr/bin/script',
  // the history store's PostgreSQL backend is tested against a throwaway cluster (initdb, pg_ctl)
  postgresql: '/usr/lib/postgresql/15/bin/initdb',
  // promtool (Debian 12 ships it in the prometheus package): checks audit --format openmetrics
  prometheus: '/usr/bin/promtool',
  // the audit's footprint test: nothing the probe batch runs writes on the host or locks
  strace: '/usr/bin/strace',
};

import { existsSync, rmSync, writeFileSync } from 'node:fs';
const missing = Object.entries(NEEDED).filter(([, file]) => !existsSync(file)).map(([pkg]) => pkg);
if (missing.length === 0) process.exit(0);
if (process.platform !== 'linux' || process.getuid?.() !== 0) {
  console.error(`mtafleet: missing Debian packages: ${missing.join(' ')} — install them as root: apt-get install ${missing.join(' ')}`);
  process.exit(1);
}
console.error(`mtafleet: installing Debian packages: ${missing.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
if (update.status !== 0) console.error('mtafleet: apt-get update failed; trying the install anyway');
// Packages such as postgresql and prometheus start a server when installed under systemd: the
// tests start their own (throwaway cluster, promtool only), so no service is started meanwhile.
const POLICY = '/usr/sbin/policy-rc.d';
const ownPolicy = !existsSync(POLICY);
if (ownPolicy) writeFileSync(POLICY, '#!/bin/sh\n# mtafleet test setup: start no service while installing\nexit 101\n', { mode: 0o755 });
try {
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
} finally {
  if (ownPolicy) rmSync(POLICY, { force: true });
}
