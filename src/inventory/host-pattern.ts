/**
 * Host entries as Ansible writes them in an inventory: `mta[01:12].example.net` expands to
 * twelve hosts, and `mta01.example.net:2222` is a host with ansible_port 2222.
 */
export interface HostEntry {
  names: string[];
  port?: number;
}

const RANGE = /\[([^\]]*)\]/;

/** Expands a host entry; throws an Error with a plain-words message when it is malformed. */
export function expandHostEntry(entry: string): HostEntry {
  let name = entry;
  let port: number | undefined;
  // Exactly one colon outside brackets means host:port (IPv6 addresses have several).
  const portMatch = /^([^:]+):(\d+)$/.exec(entry);
  if (portMatch) {
    name = portMatch[1];
    port = Number(portMatch[2]);
  }
  return { names: expandRanges(name), port };
}

function expandRanges(name: string): string[] {
  const m = RANGE.exec(name);
  if (!m) return [name];
  const head = name.slice(0, m.index);
  const tail = name.slice(m.index + m[0].length);
  const out: string[] = [];
  for (const piece of expandOneRange(m[1], m[0])) {
    for (const rest of expandRanges(tail)) out.push(head + piece + rest);
  }
  return out;
}

function expandOneRange(spec: string, written: string): string[] {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw new Error(`host range ${written} must look like [01:10], [a:f] or [1:10:2]`);
  }
  const [begRaw, end, stepRaw] = parts;
  const beg = begRaw === '' ? '0' : begRaw;
  const step = stepRaw === undefined || stepRaw === '' ? 1 : Number(stepRaw);
  if (!Number.isInteger(step) || step < 1) throw new Error(`host range ${written} has a bad step "${stepRaw}"`);
  if (end === '') throw new Error(`host range ${written} has no end`);
  if (/^[a-z]$/i.test(beg) && /^[a-z]$/i.test(end)) {
    const from = beg.charCodeAt(0);
    const to = end.charCodeAt(0);
    if (from > to) throw new Error(`host range ${written} starts after it ends`);
    const out: string[] = [];
    for (let c = from; c <= to; c += step) out.push(String.fromCharCode(c));
    return out;
  }
  if (!/^\d+$/.test(beg) || !/^\d+$/.test(end)) {
    throw new Error(`host range ${written} must use numbers or single letters`);
  }
  const padded = beg.length > 1 && beg.startsWith('0');
  if (padded && beg.length !== end.length) {
    throw new Error(`host range ${written} must give start and end with the same number of digits`);
  }
  const from = Number(beg);
  const to = Number(end);
  if (from > to) throw new Error(`host range ${written} starts after it ends`);
  if ((to - from) / step > 100_000) throw new Error(`host range ${written} is too large`);
  const out: string[] = [];
  for (let i = from; i <= to; i += step) out.push(padded ? String(i).padStart(beg.length, '0') : String(i));
  return out;
}
