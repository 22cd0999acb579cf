/**
 * A throwaway PostgreSQL cluster (tests and the history benchmark): Debian's server binaries
 * (package `postgresql`), initdb + pg_ctl run as an unprivileged user (the package's `postgres`
 * user, else `nobody`: the server refuses to run as root) in a temp dir, listening on a free
 * loopback port only, with password (SCRAM) authentication so credentials are in the URL.
 * stop()/start() take the server down and up again (fault tests); remove() stops it and
 * deletes the dir, and is safe to call twice.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './keys.mjs';

export const PG_USER = 'hist_owner_q7';
export const PG_PASSWORD = 'pw-Zq8!s3cret';

export function postgresBinDir() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

function unprivileged() {
  for (const name of ['postgres', 'nobody']) {
    const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    if (r.status === 0) return { uid: Number(r.stdout.trim()), gid: Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim()) };
  }
  throw new Error('no unprivileged user (postgres or nobody) to run the PostgreSQL server as');
}

/** Starts a cluster; options.settings: extra `-c name=value` server settings. */
export async function startPostgres(options = {}) {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (Debian package postgresql; run scripts/ensure-debian-packages.mjs)');
  const user = process.getuid?.() === 0 ? unprivileged() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'mtaf-pg-'));
  chmodSync(dir, 0o700);
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${PG_PASSWORD}\n`, { mode: 0o600 });
  if (user) chownSync(pwfile, user.uid, user.gid);
  const port = await freePort('127.0.0.1');
  const run = (tool, args) => {
    execFileSync(join(bin, tool), args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000, ...(user ?? {}), env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } });
  };
  const settings = ['listen_addresses=127.0.0.1', 'fsync=off', 'shared_buffers=16MB', ...(options.settings ?? [])].map((s) => `-c ${s}`).join(' ');
  const cluster = {
    url: `postgres://${PG_USER}:${encodeURIComponent(PG_PASSWORD)}@127.0.0.1:${port}/postgres`,
    port,
    dir,
    start: () => run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dir} ${settings}`, 'start']),
    stop: () => {
      if (existsSync(join(data, 'postmaster.pid'))) run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    remove: () => {
      try {
        if (existsSync(data)) cluster.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  try {
    run('initdb', ['-D', data, '-U', PG_USER, `--pwfile=${pwfile}`, '--auth-local=scram-sha-256', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync']);
    cluster.start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return cluster;
}

/** A new empty database in the cluster; its URL. */
export async function createDatabase(cluster, name) {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return cluster.url.replace(/\/postgres$/, `/${name}`);
}
