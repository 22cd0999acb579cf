/**
 * The top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`), each with the
 * nearest mtafleet frame (dist/...) that led to it, so library and runtime time is blamed on
 * the mtafleet function the lead can change (or, for callbacks, the library frame).
 */
import { readFileSync } from 'node:fs';

function frameName(f) {
  const where = f.url ? `${f.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
}

export function topFunctions(file, count = 15) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const total = profile.endTime - profile.startTime; // microseconds
  const samples = profile.samples?.length ?? 0;
  const perSampleMs = samples > 0 ? total / samples / 1000 : 0;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Nearest mtafleet frame, else the nearest library frame (ssh2 callbacks have no mtafleet caller).
  const ours = (id) => {
    let library = null;
    for (let cur = byId.get(id); cur; cur = byId.get(parent.get(cur.id))) {
      if (/\/dist\//.test(cur.callFrame.url)) return frameName(cur.callFrame);
      if (!library && /\/node_modules\//.test(cur.callFrame.url)) library = frameName(cur.callFrame);
    }
    return library;
  };
  const self = new Map();
  for (const node of profile.nodes) {
    if (!node.hitCount) continue;
    const name = frameName(node.callFrame);
    const via = /\/dist\//.test(node.callFrame.url) ? null : ours(node.id);
    const key = via ? `${name}  <- ${via}` : name;
    self.set(key, (self.get(key) ?? 0) + node.hitCount * perSampleMs);
  }
  const totalMs = total / 1000;
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([fn, ms]) => ({ fn, selfMs: Math.round(ms), share: totalMs > 0 ? Math.round((1000 * ms) / totalMs) / 10 : 0 }));
}
