/**
 * What a command did to a host's files and locks, from strace: every open for writing, every
 * create, remove, rename, link, truncate, chmod/chown/utime, and every flock or fcntl lock.
 * The audit's probe batch may write only inside its own temp dir (TMPDIR, removed at its end)
 * and may take no lock at all (issue 17: nothing the audit runs holds a lock or writes on the
 * host). Used by bench/probe-cost.mjs and test/integration/audit/host-footprint-lab.test.ts.
 */

/** strace arguments: follow children, paths of fd arguments (-y), only the calls that change things. */
export const TRACE_ARGS = [
  '-f',
  '-qq',
  '-y',
  '-e',
  'signal=none',
  '-e',
  'trace=open,openat,openat2,creat,mkdir,mkdirat,rmdir,unlink,unlinkat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,truncate,ftruncate,chmod,fchmod,fchmodat,chown,fchown,lchown,fchownat,utimensat,utimes,flock,fcntl',
];

const WRITE_FLAGS = /\bO_(WRONLY|RDWR|CREAT|TRUNC|APPEND)\b/;
const LOCK_FCNTL = /\bF_(SETLK|SETLKW|OFD_SETLK|OFD_SETLKW)\b/;
/** Files every program may open for writing without changing the host. */
const HARMLESS = new Set(['/dev/null', '/dev/tty', '/dev/stdout', '/dev/stderr']);

/** Quoted path arguments of one strace line, each joined to its dirfd's path (-y) when relative. */
function paths(call, args) {
  const out = [];
  const re = /(?:(\d+|AT_FDCWD)<([^>]*)>|AT_FDCWD), "((?:[^"\\]|\\.)*)"|^"((?:[^"\\]|\\.)*)"/g;
  let m;
  while ((m = re.exec(args)) !== null) {
    const dir = m[2];
    const path = m[3] ?? m[4];
    out.push(path.startsWith('/') || dir === undefined ? path : `${dir}/${path}`);
  }
  // rename(old, new), link(old, new), symlink(target, new): the second quoted path too.
  if (/^(rename|link|symlink)$/.test(call)) for (const q of args.matchAll(/, "((?:[^"\\]|\\.)*)"/g)) out.push(q[1]);
  return out;
}

/**
 * The lines of an strace log (TRACE_ARGS) that write outside `allowedDir` or take a lock.
 * Returns [{ pid, call, what }], empty when the traced command left the host as it was.
 */
export function hostChanges(log, allowedDir) {
  const inside = (p) => p === allowedDir || p.startsWith(`${allowedDir}/`) || HARMLESS.has(p) || /^(pipe|socket|anon_inode):/.test(p);
  const found = [];
  for (const line of log.split('\n')) {
    const m = /^(\d+)\s+(\w+)\((.*)\)\s+=\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, pid, call, args] = m;
    if (call === 'flock') found.push({ pid, call, what: line.trim() });
    else if (call === 'fcntl') {
      if (LOCK_FCNTL.test(args)) found.push({ pid, call, what: line.trim() });
    } else if (/^(open|openat|openat2)$/.test(call)) {
      if (!WRITE_FLAGS.test(args)) continue;
      const p = paths(call, args)[0];
      if (p === undefined || !inside(p)) found.push({ pid, call, what: line.trim() });
    } else if (call === 'ftruncate' || call === 'fchmod' || call === 'fchown') {
      const fd = /^\d+<([^>]*)>/.exec(args);
      if (!fd || !inside(fd[1])) found.push({ pid, call, what: line.trim() });
    } else {
      const ps = paths(call, args);
      if (ps.length === 0 || ps.some((p) => !inside(p))) found.push({ pid, call, what: line.trim() });
    }
  }
  return found;
}
