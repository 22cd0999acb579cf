/** The top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`). */
import { readFileSync } from 'node:fs';

export function topFunctions(file, count = 15) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const total = profile.endTime - profile.startTime; // microseconds
  const samples = profile.samples?.length ?? 0;
  const perSampleMs = samples > 0 ? total / samples / 1000 : 0;
  const self = new Map();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const where = f.url ? `${f.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + (node.hitCount ?? 0) * perSampleMs);
  }
  const totalMs = total / 1000;
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([fn, ms]) => ({ fn, selfMs: Math.round(ms), share: totalMs > 0 ? Math.round((1000 * ms) / totalMs) / 10 : 0 }));
}
