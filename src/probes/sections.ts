/**
 * Inside one probe's output, sub-commands are delimited by marker lines the probe scripts
 * print (helpers defined in the batch preamble, see batch.ts):
 *   @@mtafleet-sub NAME          start of sub-command NAME's output (stdout+stderr)
 *   @@mtafleet-rc NAME CODE      its exit code
 *   @@mtafleet-missing WHAT      a tool or file the probe needs is absent
 * Lines a probe copies from untrusted files (logs) are prefixed with "| " so they cannot
 * forge a marker.
 */
export interface SubOutput {
  text: string;
  exitCode: number | null;
}

export interface Markers {
  missing: string[];
  subs: Map<string, SubOutput>;
  /** Lines outside any sub-section (key/value lines printed by the probe script). */
  loose: string[];
}

export function parseMarkers(stdout: string): Markers {
  const missing: string[] = [];
  const subs = new Map<string, SubOutput>();
  const loose: string[] = [];
  let current: { name: string; lines: string[] } | null = null;
  for (const line of stdout.split('\n')) {
    const sub = /^@@mtafleet-sub (\S+)$/.exec(line);
    if (sub) {
      current = { name: sub[1], lines: [] };
      continue;
    }
    const rc = /^@@mtafleet-rc (\S+) (-?\d+)$/.exec(line);
    if (rc && current && rc[1] === current.name) {
      subs.set(current.name, { text: current.lines.join('\n'), exitCode: Number(rc[2]) });
      current = null;
      continue;
    }
    const miss = /^@@mtafleet-missing (.+)$/.exec(line);
    if (miss) {
      missing.push(miss[1].trim());
      continue;
    }
    if (current) current.lines.push(line);
    else if (line.trim() !== '') loose.push(line);
  }
  if (current) subs.set(current.name, { text: current.lines.join('\n'), exitCode: null });
  return { missing, subs, loose };
}

/** `key<TAB or space>value` loose lines as a map (last one wins). */
export function looseValues(loose: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of loose) {
    const m = /^([\w.-]+)[\t ](.*)$/.exec(line);
    if (!m) continue;
    const list = out.get(m[1]) ?? [];
    list.push(m[2]);
    out.set(m[1], list);
  }
  return out;
}

export function num(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.trim().replace(/,/g, ''));
  return text.trim() !== '' && Number.isFinite(n) ? n : undefined;
}

/** A warning for host output a parser could not read: where it came from, which line, the text (clipped). */
export function unreadLine(source: string, lineNo: number, line: string): string {
  const text = line.trim();
  return `${source} line ${lineNo}: unrecognised: ${text.length > 120 ? `${text.slice(0, 120)}...` : text}`;
}
