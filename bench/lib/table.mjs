/** Plain-text rendering of one benchmark result (the same data goes to latest.json). */

function num(v, digits = 3) {
  if (v === null || v === undefined) return '-';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  return abs >= 1000 ? v.toFixed(0) : abs >= 100 ? v.toFixed(1) : v.toPrecision(digits);
}

function pad(s, n) {
  return String(s).padEnd(n);
}

export function renderResult(r) {
  const lines = [`\n== ${r.name} (size ${r.size}, ${r.runs} run${r.runs === 1 ? '' : 's'}${r.cache ? `, ${r.cache} cache` : ''}) ==`];
  if (r.status !== 'ok') {
    lines.push(`  ${r.status === 'not-runnable' ? 'not runnable' : 'ERROR'}: ${r.reason}`);
    // A benchmark that cannot compare may still have measured its baseline.
    if (!r.measures?.length) return lines.join('\n') + '\n';
  }
  for (const m of r.measures ?? []) {
    lines.push(`  ${pad(m.label, 52)} ${pad(m.unit, 6)} min ${pad(num(m.min), 8)} median ${pad(num(m.median), 8)} max ${num(m.max)}`);
  }
  for (const c of r.comparisons ?? []) {
    const verdict = c.pass === null ? 'N/A ' : c.pass ? 'PASS' : 'MISS';
    const ratio = c.ratio === null ? '-' : `${c.ratio.toFixed(2)}x`;
    lines.push(`  ${verdict}  ${pad(c.label, 58)} ${pad(ratio, 8)} (${num(c.measured)} vs ${num(c.baseline)}; target <= ${c.target}x)`);
  }
  for (const [k, v] of Object.entries(r.figures ?? {})) {
    if (Array.isArray(v)) {
      lines.push(`  ${k}:`);
      for (const item of v) lines.push(`      ${typeof item === 'object' ? Object.values(item).join('  ') : item}`);
    } else lines.push(`  ${pad(k, 52)} ${typeof v === 'object' ? JSON.stringify(v) : num(v)}`);
  }
  for (const n of r.notes ?? []) lines.push(`  note: ${n}`);
  return lines.join('\n') + '\n';
}
