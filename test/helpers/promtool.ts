/** `promtool check metrics` (Debian package prometheus) on an exposition given on stdin. */
import { spawnSync } from 'node:child_process';

export const PROMTOOL = '/usr/bin/promtool';

export function promtoolCheck(exposition: string): { code: number | null; output: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: exposition, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}
