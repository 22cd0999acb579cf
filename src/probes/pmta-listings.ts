/**
 * `pmta show domains|topdomains` and `pmta show queues` listings (UG §6.3.12, §6.3.13, §6.3.17).
 * Both print at most `--maxitems` rows (20 by default) and a footer saying how many matched:
 * the footer is kept so a caller can tell a complete listing from a truncated one.
 */

export interface DomainRow {
  domain: string;
  rcpts: number;
  kbytes: number;
  connections: number;
  lastError: string;
  /** Error events recorded for the domain (`--errors`, UG §4 example), oldest first, at most MAX_ERRORS. */
  errors?: string[];
}

export interface QueueRow {
  /** "domain/vmta" as printed. */
  queue: string;
  domain: string;
  vmta: string;
  rcpts: number;
  kbytes: number;
  connections: number;
  /** The `st` column (undocumented in the UG; kept verbatim when present). */
  state?: string;
  retry?: string;
  lastError: string;
}

export interface Listing<Row> {
  rows: Row[];
  /** From the footer "N of M domains shown." / "N of M matching queues."; absent when no footer was seen. */
  shown?: number;
  total?: number;
}

const MAX_ERRORS = 10;
const MAX_ROWS = 5000;
const clip = (s: string): string => s.slice(0, 100);
const ERROR_EVENT = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\S/;

/** `what` names the probe and command in warnings, e.g. "pmta-status: pmta show topdomains". */
export function parseDomainListing(text: string, what: string, warnings: string[]): Listing<DomainRow> {
  const out: Listing<DomainRow> = { rows: [] };
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || /^-+domain\s+-+#rcpt/.test(line)) return;
    const foot = /^(\d+) of (\d+) domains? shown\.?$/.exec(line);
    if (foot) {
      out.shown = Number(foot[1]);
      out.total = Number(foot[2]);
      return;
    }
    const last = out.rows[out.rows.length - 1];
    if (ERROR_EVENT.test(line) && last) {
      last.errors ??= [];
      if (last.errors.length < MAX_ERRORS) last.errors.push(clip(line));
      return;
    }
    const m = /^(\S+)\s+(\d+)\s+([\d.]+)\s+(\d+)(?:\s+(.*))?$/.exec(line);
    if (m && out.rows.length < MAX_ROWS) {
      out.rows.push({ domain: m[1].toLowerCase(), rcpts: Number(m[2]), kbytes: Number(m[3]), connections: Number(m[4]), lastError: clip(m[5]?.trim() ?? '') });
    } else if (!m) {
      warnings.push(`${what} line ${i + 1}: unrecognised: ${clip(line)}`);
    }
  });
  return out;
}

/**
 * `pmta show queues` (UG §6.3.13): header, a line echoing the queue pattern (`*\/*`), rows
 * `domain/vmta #rcpt kbytes conn [st] [retry] [last error]`, then recipient events unless
 * `--no-rcpt-events`. The UG sample prints the footer glued to the last event line.
 */
export function parseQueueListing(text: string, what: string, warnings: string[]): Listing<QueueRow> {
  const out: Listing<QueueRow> = { rows: [] };
  let inEvents = false;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const foot = /(?:^|\D)(\d+) of (\d+) matching queues?\.?$/.exec(line);
    if (foot) {
      out.shown = Number(foot[1]);
      out.total = Number(foot[2]);
      return;
    }
    if (line === '' || /^queue\s+#rcpt\s+kbytes\s+conn/.test(line) || /^[-\s]+$/.test(line) || /^[^\s/]+\/[^\s/]+$/.test(line)) return;
    if (/^Recipient Events\b/.test(line)) {
      inEvents = true;
      return;
    }
    if (inEvents && /^(delivered|deferred|bounced|expired)\s*\|/.test(line)) return;
    const m = /^(([^\s/]+)\/(\S+))\s+(\d+)\s+([\d.]+)\s+(\d+)(?:\s+(.*))?$/.exec(line);
    if (m) {
      if (out.rows.length >= MAX_ROWS) return;
      const rest = m[7]?.trim() ?? '';
      // After conn: an optional short state word, an optional hh:mm:ss retry time, then the last error.
      const tail = /^(?:([a-z]{1,3})\s+)?(?:(\d\d:\d\d:\d\d)\s*)?(.*)$/.exec(rest) ?? [];
      out.rows.push({
        queue: m[1].toLowerCase(),
        domain: m[2].toLowerCase(),
        vmta: m[3],
        rcpts: Number(m[4]),
        kbytes: Number(m[5]),
        connections: Number(m[6]),
        ...(tail[1] ? { state: tail[1] } : {}),
        ...(tail[2] ? { retry: tail[2] } : {}),
        lastError: clip(tail[3] ?? ''),
      });
      return;
    }
    warnings.push(`${what} line ${i + 1}: unrecognised: ${clip(line)}`);
  });
  return out;
}

/** A warning when a listing printed fewer rows than matched; null when complete or footerless. */
export function truncationWarning(listing: Listing<unknown>, what: string, footer: string): string | null {
  if (listing.shown === undefined || listing.total === undefined || listing.shown >= listing.total) return null;
  return `${what}: listing truncated ("${listing.shown} of ${listing.total} ${footer}"): only the ${listing.shown} rows shown were read`;
}
