import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The test's own manifest of a tree (independent of the scripts under test): relative path ->
 * sha256, size, mode, owner and mtime of every regular file, plus the list of directories.
 */
export function treeManifest(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      const st = lstatSync(full);
      if (st.isDirectory()) {
        out[`${rel}/`] = 'dir';
        walk(full);
      } else if (st.isFile()) {
        const sum = createHash('sha256').update(readFileSync(full)).digest('hex');
        out[rel] = `${sum} ${st.size} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${st.mtimeMs}`;
      }
    }
  };
  walk(root);
  return out;
}
