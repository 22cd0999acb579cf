/**
 * The runner's side of the accounting analysis: reads the host program's per-hour partial
 * aggregates (accounting-awk.ts), merges them with the cursor of the previous audit, and
 * computes the window's facts and the next cursor. Pure functions.
 *
 * A bucket is one UTC hour of record instants (epoch / 3600). The window
 * (newest - W h, newest] is every bucket after the one its start cuts through (the "edge"
 * bucket), plus the records of the edge bucket inside the window, which the host re-reads
 * exactly from the byte ranges of that bucket.
 */
import { dict } from '../util/dict.js';
import { addOne, addPair, emptyPartial, int, mergePartial, type BucketPartial } from './accounting-partial.js';
import { diagPattern } from './diag-normalise.js';

export type { BucketPartial } from './accounting-partial.js';

export interface CursorFile {
  path: string;
  inode: string;
  /** Bytes analysed so far: the next audit reads from here. */
  offset: number;
  /** Column numbers "type time rcpt diag ip" of the last header read. */
  cols: string;
}

/** What the runner keeps between audits of one host (never written on the host). */
export interface AccountingCursor {
  /** 2: buckets carry pairs and fails, files 9 column numbers; a version-1 cursor is dropped. */
  version: 2;
  /** /etc/machine-id of the host ("" when it has none): a cursor never applies elsewhere. */
  hostId: string;
  windowHours: number;
  newest: { e: number; text: string } | null;
  files: CursorFile[];
  /** Full partials of the buckets after the edge bucket. */
  buckets: Record<string, BucketPartial>;
  /** Byte ranges per file (index into files) of the buckets from the edge bucket on. */
  ranges: Array<{ file: number; bucket: number; start: number; end: number }>;
  /** The exact in-window part of the edge bucket for `newest`. */
  edge: { bucket: number; start: number; partial: BucketPartial } | null;
  counts: ScanCounts;
  /** The oldest counted record ever read (how far back the files reach). */
  oldest?: { e: number; text: string } | null;
  /** Recipient domain -> the MX host its records name (dsnMta). */
  mx: Record<string, string>;
}

/** Warning counts: unreadable times, no header, unterminated quotes, no timeLogged column. */
export interface ScanCounts {
  badtime: number;
  noheader: number;
  unterminated: number;
  notime?: number;
}

/** One `<acct-file>` block as the host script selected it ("S" line). */
export interface AcctBlock {
  path: string;
  /** Its `records` (config), or ["*"] for a file named without config. */
  records: string[];
  /** The d/t/b (and tq/rb) types read from its files (a type an earlier block holds is not read twice). */
  read: string[];
  /** Files read (live, rotated, move-to archives) and files found within the window. */
  files: number;
  found: number;
  moveTo: string | null;
}

export interface ScanResult {
  mode: 'full' | 'incremental';
  hostId: string;
  windowHours: number;
  files: Array<CursorFile & { size: number; startOffset: number; newest: { e: number; text: string } | null }>;
  /** Bucket -> partial, per file in order (merge order matters for ties). */
  partials: Array<Map<number, BucketPartial>>;
  ranges: Array<{ file: number; bucket: number; start: number; end: number }>;
  counts: ScanCounts & { notime: number };
  plan: { bucket: number; start: number; newest: number } | null;
  /** Null when the host reused the cursor's edge (K). */
  edge: BucketPartial | null;
  edgeReused: boolean;
  unexpected: string[];
  blocks: AcctBlock[];
  /** Pipe acct-files ("|cmd"): nothing to read. */
  pipes: string[];
  /** Files whose last line had no line end yet (a record being written: not counted). */
  pending: string[];
  oldest: { e: number; text: string } | null;
  /** Files without a timeLogged column, with how many d/t/b records could not be placed. */
  noTime: Array<{ path: string; count: number }>;
  /** Recipient domain -> MX host (dsnMta), as read by this run. */
  mx: Record<string, string>;
}

/** At most this many acct-file blocks and pipes are kept from one host's output. */
const MAX_BLOCKS = 64;
/** At most this many domains' MX hosts are kept (host text; the busy domains come first soon enough). */
const MAX_MX = 5000;

/** Parse the host script's stdout (see accounting.ts for the line kinds). */
export function parseScan(stdout: string, windowHours: number): ScanResult {
  const result: ScanResult = {
    mode: 'full',
    hostId: '',
    windowHours,
    files: [],
    partials: [],
    ranges: [],
    counts: { badtime: 0, noheader: 0, unterminated: 0, notime: 0 },
    plan: null,
    edge: null,
    edgeReused: false,
    unexpected: [],
    blocks: [],
    pipes: [],
    pending: [],
    oldest: null,
    noTime: [],
    mx: dict(),
  };
  let target: Map<number, BucketPartial> | null = null;
  let file = -1;
  let mxCount = 0;
  // The host reports raw dsnDiag starts; one ISP error (any IP, id, recipient) is one group.
  const patterns = new Map<string, string>();
  const pattern = (raw: string): string => {
    let p = patterns.get(raw);
    if (p === undefined) patterns.set(raw, (p = diagPattern(raw.replace(/\uFFFD+$/u, ''))));
    return p;
  };
  const bucketOf = (map: Map<number, BucketPartial>, b: number): BucketPartial => {
    let p = map.get(b);
    if (!p) map.set(b, (p = emptyPartial()));
    return p;
  };
  let f: string[] = [];
  const rest = (i: number): string => (f.length === i + 1 ? f[i]! : f.slice(i).join('\t'));
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('x\t')) {
      const end = line.indexOf('\t', 2);
      if (target) addPair(file >= 0 ? bucketOf(target, int(line.slice(2, end < 0 ? line.length : end))) : result.edge!, line);
      continue;
    }
    f = line.split('\t');
    switch (f[0]) {
      case 'V':
      case 'Y':
        break;
      case 'W':
        result.windowHours = int(f[1]) || windowHours;
        break;
      case 'I':
        result.hostId = f[1] ?? '';
        break;
      case 'M':
        result.mode = f[1] === 'incremental' ? 'incremental' : 'full';
        break;
      case 'F': {
        const offset = int(f[4]);
        result.files.push({ path: rest(5), inode: f[2] ?? '', size: int(f[3]), startOffset: offset, offset, cols: '', newest: null });
        file = result.files.length - 1;
        target = new Map();
        result.partials.push(target);
        break;
      }
      case 'A':
        result.plan = { bucket: int(f[1]), start: int(f[2]), newest: int(f[3]) };
        break;
      case 'K':
        result.edgeReused = true;
        break;
      case 'X':
        // Edge lines follow: one partial for all ranges, read in file order.
        target = new Map();
        file = -1;
        result.edge ??= emptyPartial();
        break;
      case 'L':
        if (file >= 0) result.files[file]!.offset = int(f[1]);
        break;
      case 'C':
        if (file >= 0) result.files[file]!.cols = f[1] ?? '';
        break;
      case 'N':
        // Several chunks of one file: the first of the largest instants.
        if (file >= 0 && int(f[1]) > (result.files[file]!.newest?.e ?? -Infinity)) result.files[file]!.newest = { e: int(f[1]), text: rest(2) };
        break;
      case 'E':
        if (file >= 0 && (f[1] === 'badtime' || f[1] === 'noheader' || f[1] === 'unterminated' || f[1] === 'notime')) result.counts[f[1]] += int(f[2]);
        if (file >= 0 && f[1] === 'notime') {
          const path = result.files[file]!.path;
          const had = result.noTime.find((n) => n.path === path);
          if (had) had.count += int(f[2]);
          else result.noTime.push({ path, count: int(f[2]) });
        }
        break;
      case 'S':
        // Host text, bounded: a config has a few acct-file blocks.
        if (result.blocks.length >= MAX_BLOCKS) break;
        result.blocks.push({
          read: (f[1] ?? '').split(',').filter(Boolean),
          records: (f[2] ?? '').split(',').filter(Boolean),
          files: int(f[3]),
          found: int(f[4]),
          moveTo: f[5] || null,
          path: rest(6).slice(0, 1000),
        });
        break;
      case 'Z':
        if (result.pipes.length < MAX_BLOCKS) result.pipes.push(rest(1).slice(0, 500));
        break;
      case 'P':
        if (file >= 0) result.pending.push(result.files[file]!.path);
        break;
      case 'Q':
        if (file >= 0 && (!result.oldest || int(f[1]) < result.oldest.e)) result.oldest = { e: int(f[1]), text: rest(2) };
        break;
      case 'H':
        if (mxCount < MAX_MX && f[1] && !(f[1] in result.mx)) {
          result.mx[f[1]] = (f[2] ?? '').slice(0, 255);
          mxCount += 1;
        }
        break;
      case 'm':
      case 'h':
      case 'c': {
        if (!target) break;
        const p = file >= 0 ? bucketOf(target, int(f[1])) : result.edge!;
        if (f[0] === 'm') {
          if (int(f[2]) < p.minE) {
            p.minE = int(f[2]);
            p.minText = rest(3);
          }
        } else if (f[0] === 'c') {
          // type domain bounceCat dsnStatus -> count, then the dsnDiag (all of the rest). Host
          // text: bounceCat bounded (the Guide's longest is 19 characters); of the status its
          // code ("5.7.1 (delivery not authorized)" -> "5.7.1").
          const status = (f[5] ?? '').split(' ')[0]!.slice(0, 20);
          const diag = pattern(rest(7));
          const n = int(f[6]);
          const key = `${f[2]}\t${f[3]}\t${(f[4] ?? '').slice(0, 40)}\t${status}\t${diag}`;
          p.fails[key] = (p.fails[key] ?? 0) + n;
          // The dsnDiag groups: t and b records by domain and pattern.
          if (f[2] === 't' || f[2] === 'b') {
            const group = `${f[3]}\t${diag}`;
            p.diags[group] = (p.diags[group] ?? 0) + n;
          }
        } else addOne(p.hours, f[2] ?? '', { delivered: int(f[3]), deferred: int(f[4]), bounced: int(f[5]) });
        break;
      }
      case 'o':
        if (file >= 0) result.ranges.push({ file, bucket: int(f[1]), start: int(f[2]), end: int(f[3]) });
        break;
      default:
        if (!line.startsWith('@@mtafleet')) result.unexpected.push(line);
    }
  }
  return result;
}

/**
 * Merge a scan with the previous cursor (incremental mode) into the window's partials and
 * the next cursor. `previous` is ignored when the host did a full analysis.
 */
export function mergeScan(scan: ScanResult, previous: AccountingCursor | undefined): { cursor: AccountingCursor; window: BucketPartial; newest: { e: number; text: string } | null } {
  const old = scan.mode === 'incremental' && previous ? previous : undefined;
  let newest = old?.newest ?? null;
  for (const f of scan.files) if (f.newest && (!newest || f.newest.e > newest.e)) newest = f.newest;
  const counts = { ...scan.counts };
  if (old) for (const k of Object.keys(counts) as Array<keyof typeof counts>) counts[k] += old.counts[k] ?? 0;
  let oldest = old?.oldest ?? null;
  if (scan.oldest && (!oldest || scan.oldest.e < oldest.e)) oldest = scan.oldest;
  const files: CursorFile[] = scan.files.map(({ path, inode, offset, cols }) => ({ path, inode, offset, cols }));
  const mx = dict<string>(Object.entries(old?.mx ?? {}));
  let mxCount = Object.keys(mx).length;
  for (const [d, host] of Object.entries(scan.mx)) {
    if (d in mx || mxCount >= MAX_MX) continue;
    mx[d] = host;
    mxCount += 1;
  }
  const empty: AccountingCursor = { version: 2, hostId: scan.hostId, windowHours: scan.windowHours, newest, files, buckets: {}, ranges: [], edge: null, counts, oldest, mx };
  if (!newest || !scan.plan) return { cursor: empty, window: emptyPartial(), newest };
  const edgeBucket = scan.plan.bucket;
  // Full buckets after the edge: the cursor's first, then the new bytes' in file order.
  const buckets = new Map<number, BucketPartial>();
  // `owned`: a partial of this scan, used as it is when its bucket is new (a copy costs as much
  // as the merge); the previous cursor's partials are copied, never changed.
  const add = (b: number, p: BucketPartial, owned: boolean): void => {
    if (b <= edgeBucket) return;
    const into = buckets.get(b);
    if (into) mergePartial(into, p);
    else if (owned) buckets.set(b, p);
    else {
      const copy = emptyPartial();
      mergePartial(copy, p);
      buckets.set(b, copy);
    }
  };
  if (old) for (const [b, p] of Object.entries(old.buckets)) add(Number(b), p, false);
  for (const map of scan.partials) for (const [b, p] of map) add(b, p, true);
  // Byte ranges from the edge bucket on, per file of the new list, merged per (file, bucket).
  const rangeMap = new Map<string, { file: number; bucket: number; start: number; end: number }>();
  const addRange = (r: { file: number; bucket: number; start: number; end: number }): void => {
    if (r.bucket < edgeBucket || r.file < 0) return;
    const key = `${r.file} ${r.bucket}`;
    const had = rangeMap.get(key);
    rangeMap.set(key, had ? { ...had, start: Math.min(had.start, r.start), end: Math.max(had.end, r.end) } : { ...r });
  };
  if (old) for (const r of old.ranges) addRange({ ...r, file: files.findIndex((f) => f.path === old.files[r.file]?.path) });
  for (const r of scan.ranges) addRange(r);
  const edgePartial = scan.edgeReused && old?.edge && old.edge.bucket === edgeBucket ? old.edge.partial : (scan.edge ?? emptyPartial());
  const window = emptyPartial();
  for (const b of [...buckets.keys()].sort((a, b) => a - b)) mergePartial(window, buckets.get(b)!);
  mergePartial(window, edgePartial);
  const cursor: AccountingCursor = {
    ...empty,
    buckets: Object.fromEntries([...buckets].map(([b, p]) => [String(b), p])),
    ranges: [...rangeMap.values()],
    edge: { bucket: edgeBucket, start: scan.plan.start, partial: edgePartial },
  };
  return { cursor, window, newest };
}

/** The cursor as text lines for the host script (only what the host needs). */
export function cursorText(cursor: AccountingCursor): string {
  const lines = [`W\t${cursor.windowHours}`, `I\t${cursor.hostId}`];
  if (cursor.newest) {
    lines.push(`N\t${cursor.newest.e}`);
    const start = cursor.newest.e - cursor.windowHours * 3600;
    lines.push(`B\t${Math.floor(start / 3600)}`);
  }
  for (const f of cursor.files) lines.push(`F\t${f.inode}\t${f.offset}\t${f.cols}\t${f.path}`);
  for (const r of cursor.ranges) lines.push(`o\t${r.file + 1}\t${r.bucket}\t${r.start}\t${r.end}`);
  return lines.join('\n');
}
