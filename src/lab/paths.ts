import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

/** Root of all labs' directories unless --lab-dir says otherwise. */
export const LABS_ROOT = '/var/lib/mtafleet-lab';

export function defaultLabDir(name: string): string {
  return join(LABS_ROOT, name);
}

/**
 * The simulator's asset directory (src/lab/assets). Resolved from this module's location so
 * it is the same whether mtafleet runs from dist/lab/ or src/lab/ (both sit two levels below
 * the package root, and the package ships src/lab/assets).
 */
export function assetsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'lab', 'assets');
}

/** PATH of every session on a lab host: the simulator's bin first (pmta, systemctl shims). */
export function hostPath(assets: string = assetsDir()): string {
  return `${join(assets, 'bin')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
}

/** Paths of one host's private state, all under its host directory in the lab dir. */
export function hostPaths(labDir: string, hostName: string) {
  const dir = join(labDir, 'hosts', hostName);
  return {
    dir,
    etcUpper: join(dir, 'etc-upper'),
    etcWork: join(dir, 'etc-work'),
    spool: join(dir, 'spool'),
    log: join(dir, 'log'),
    simState: join(dir, 'pmta-sim'),
    /** /var/lib/mtafleet: what mtafleet's steps keep on a host (spool-migrate records, manifests). */
    runnerState: join(dir, 'var-lib-mtafleet'),
    home: join(dir, 'root'),
    mnt: join(dir, 'mnt'),
    sshdConfig: join(dir, 'sshd_config'),
    sshdLog: join(dir, 'sshd.log'),
    setupScript: join(dir, 'setup.sh'),
    hostKeys: [join(dir, 'ssh_host_ed25519_key'), join(dir, 'ssh_host_ecdsa_key')],
    nvmeImage: join(dir, 'nvme.img'),
    usedImage: join(dir, 'used.img'),
    spoolImage: join(dir, 'spool.img'),
  };
}

export function labFiles(labDir: string) {
  return {
    state: join(labDir, 'state.json'),
    key: join(labDir, 'client_key'),
    knownHosts: join(labDir, 'known_hosts'),
    inventory: join(labDir, 'inventory.yaml'),
    sshConfig: join(labDir, 'ssh_config'),
  };
}

/** Where a host's new disks are meant to be mounted (a private /mnt, this directory made). */
export const HOST_MOUNT_DIR = '/mnt/nvme';

/** In-host directories that are private per host (bind mounts from the host directory). */
export const PRIVATE_DIRS = ['/var/spool/pmta', '/var/log/pmta', '/var/lib/pmta-sim', '/var/lib/mtafleet', '/root', '/mnt'] as const;
