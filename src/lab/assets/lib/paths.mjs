// Every path the simulator touches, prefixed by PMTA_SIM_ROOT so tests can run it outside a lab.
import path from 'node:path';

export function simRoot(env = process.env) {
  return env.PMTA_SIM_ROOT ? path.resolve(env.PMTA_SIM_ROOT) : '/';
}

/** Maps an in-host absolute path to the real one (identity inside a lab host). */
export function hostPath(p, env = process.env) {
  const root = simRoot(env);
  return root === '/' ? p : path.join(root, p);
}

/** Inverse of hostPath: what the host sees for a real path (for messages shown to users). */
export function shownPath(p, env = process.env) {
  const root = simRoot(env);
  if (root === '/' || !p.startsWith(root + '/')) return p;
  return p.slice(root.length);
}

export const PATHS = {
  config: '/etc/pmta/config',
  world: '/etc/pmta-sim/world.json',
  /** What this PowerMTA build accepts (lib/config.mjs loadBuild): unknown directives, default threads. */
  build: '/etc/pmta-sim/build.json',
  dropinDir: '/etc/systemd/system/pmta.service.d',
  spool: '/var/spool/pmta',
  logDir: '/var/log/pmta',
  log: '/var/log/pmta/pmta.log',
  acct: '/var/log/pmta/acct.csv',
  stateDir: '/var/lib/pmta-sim',
  pidFile: '/var/lib/pmta-sim/pmtad.pid',
  socket: '/var/lib/pmta-sim/control.sock',
  state: '/var/lib/pmta-sim/state.json',
  stdoutLog: '/var/log/pmta/pmtad.out',
};

export const VERSION_LINE = 'PowerMTA v5.0r1 (2019-09-13 16:27:31, 64-bit; master@190913.ba26ec5).';
