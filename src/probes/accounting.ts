import { accountingCommand } from './accounting-script.js';
import { cursorText, mergeScan, parseScan, type AccountingCursor, type AcctBlock } from './accounting-merge.js';
import { windowFacts } from './accounting-window.js';
import { parseMarkers } from './sections.js';
import type { Probe, ProbeOutput, ProbeResult } from './types.js';

export interface Counts {
  delivered: number;
  deferred: number;
  bounced: number;
}

/** DESIGN.md "accounting" facts shape, plus what the diagnosis needs to stay honest. */
export interface AccountingFacts {
  file: string;
  files: string[];
  records: number;
  since: string | null;
  until: string | null;
  windowHours: number;
  hourly: Array<{ hour: string } & Counts>;
  bySourceIp: Record<string, Counts>;
  byDomain: Record<string, Counts & { deferralRate: number }>;
  /** t and b records by (domain, first 60 characters of the normalised dsnDiag: IPs, ids, numbers, addresses, URLs as placeholders). */
  topDiagnostics: Array<{ domain: string; pattern: string; count: number }>;
  /**
   * Per source IP, per recipient domain: d/t/b counts (so rates per IP at one ISP exist), b
   * records refused for policy or spam (bounceCat policy-related/spam-related, or a 5.7.x
   * dsnStatus) and tq records (failed attempts at the whole queue, UG §11.2.5).
   */
  byIpDomain: Record<string, Record<string, IpDomainCounts>>;
  /**
   * t, b, tq (per queue, UG §11.2.5: no recipient) and rb (remote bounce, no source IP) records
   * by type, domain, bounceCat, DSN status code and normalised dsnDiag, most frequent first
   * (at most TOP_FAILURES).
   */
  failures: AccountingFailure[];
  /** Recipient domain -> the MX host its records name (dsnMta), for grouping domains into ISPs. */
  mxHosts: Record<string, string>;
  /** False when the window holds no `t` records: deferral rates are then unknown, not 0 %. */
  hasTransientRecords: boolean;
  /**
   * The configured `<acct-file>` blocks and what was read from each: a record type two blocks
   * hold (`records`) is read from the first of them in config order only.
   */
  acctFiles: AcctBlock[];
  /** Pipe acct-files (`|cmd`, UG §11.3): not files, not read. */
  pipes: string[];
  /** Hours from the oldest record read to `until`, at most windowHours: the part of the window the files cover. */
  coveredHours: number;
  /** Last lines still being written (no line end yet): not counted, read by the next audit. */
  pending: number;
}

export const TOP_DIAGNOSTICS = 25;

export interface IpDomainCounts extends Counts {
  /** b records refused for policy or spam (bounceCat) or with a 5.7.x status. */
  policy: number;
  /** tq records: failed attempts at the whole queue. */
  queueFailures: number;
}

export interface AccountingFailure {
  type: string;
  domain: string;
  bounceCat: string;
  dsnStatus: string;
  pattern: string;
  count: number;
}

/** The probe without a cursor: a full analysis (the cursor it returns is dropped). */
export const accountingProbe: Probe<AccountingFacts> = makeAccountingProbe().probe;

/**
 * The accounting probe for one host audit: with the previous audit's cursor it reads only
 * what was appended since (see accounting-merge.ts); `takeCursor()` after parse() gives the
 * cursor to keep for the next audit.
 */
export function makeAccountingProbe(previous?: AccountingCursor): { probe: Probe<AccountingFacts>; takeCursor(): AccountingCursor | undefined } {
  let next: AccountingCursor | undefined;
  return {
    probe: {
      name: 'accounting',
      command: accountingCommand(previous ? cursorText(previous) : undefined),
      parse(output) {
        const result = parseAccountingScan(output, previous);
        next = result.cursor;
        return result.result;
      },
    },
    takeCursor: () => next,
  };
}

/** Cut a byte-truncated UTF-8 tail (awk cuts dsnDiag at 60 bytes) and decode. */
export function decodePattern(text: string): string {
  return text.replace(/\uFFFD+$/u, '');
}

export function parseAccounting(output: ProbeOutput): ProbeResult<AccountingFacts> {
  return parseAccountingScan(output, undefined).result;
}

/** Facts of one run of the host script, merged with the previous cursor; and the next cursor. */
export function parseAccountingScan(
  output: ProbeOutput,
  previous: AccountingCursor | undefined,
  topN = TOP_DIAGNOSTICS,
): { result: ProbeResult<AccountingFacts>; cursor?: AccountingCursor } {
  const markers = parseMarkers(output.stdout);
  if (markers.missing.length > 0) return { result: { status: 'unavailable', reason: `${markers.missing.join('; ')} not found` } };
  if (!/^V\t2$/m.test(output.stdout)) {
    return { result: { status: 'unavailable', reason: `accounting analysis failed (exit ${output.exitCode}): ${firstLine(output.stderr)}` } };
  }
  const scan = parseScan(output.stdout, 24);
  const { cursor, window, newest } = mergeScan(scan, previous);
  const files = scan.files.map((f) => f.path);
  const facts: AccountingFacts = {
    ...windowFacts(window, newest, files, scan.windowHours, topN, cursor.oldest ?? null, cursor.mx),
    acctFiles: scan.blocks,
    pipes: scan.pipes,
    pending: scan.pending.length,
  };
  const warnings: string[] = [];
  if (output.exitCode !== 0) warnings.push(`accounting: the analysis exited with ${output.exitCode}: ${firstLine(output.stderr)}`);
  // notime: named per file below when this run read such records; else (incremental) the total so far.
  for (const [kind, count] of Object.entries(cursor.counts)) if (count > 0 && (kind !== 'notime' || scan.noTime.length === 0)) warnings.push(accountingWarning(kind, count));
  warnings.push(...layoutWarnings(scan, facts, cursor.oldest?.text ?? null));
  for (const line of scan.unexpected.slice(0, 5)) warnings.push(`accounting: unexpected output line: ${line.slice(0, 80)}`);
  if (!facts.hasTransientRecords && facts.records > 0) {
    warnings.push('accounting: no t (transient) records in the window: deferral rates are unknown (add t to the acct-file "records")');
  }
  return { result: { status: 'ok', facts, warnings }, cursor };
}

/** What the layout hides: pipes, blocks without files, no timeLogged, no records, a short window. */
function layoutWarnings(scan: ReturnType<typeof parseScan>, facts: AccountingFacts, oldest: string | null): string[] {
  const out: string[] = [];
  for (const pipe of scan.pipes) out.push(`accounting: acct-file "${pipe.slice(0, 120)}" is a pipe (UG §11.3), not a file: not read`);
  for (const b of scan.blocks) {
    const dtb = b.records.filter((r) => r === '*' || r === 'd' || r === 't' || r === 'b');
    if (b.found === 0 && dtb.length > 0) {
      out.push(`accounting: acct-file ${b.path.slice(0, 200)}: no file found within the window (looked for it, its dated files ${datedName(b.path)}${b.moveTo ? ` and in move-to ${b.moveTo.slice(0, 200)}` : ''})`);
    }
  }
  for (const n of scan.noTime) {
    out.push(`accounting: ${n.path.slice(0, 200)} has no timeLogged column: ${n.count} d/t/b record(s) cannot be placed in the window and were not counted (add timeLogged to its record-fields, UG §11.2)`);
  }
  if (facts.records === 0 && scan.files.length > 0) {
    const listed = scan.blocks.map((b) => `${b.path.slice(0, 200)}: records ${b.records.join(',') || '(none)'}`).join('; ');
    out.push(`accounting: no d, t or b records in the window in the files read${listed ? ` (${listed})` : ''}`);
  }
  if (facts.records > 0 && facts.coveredHours < facts.windowHours * 0.9) {
    out.push(`accounting: the files read cover ${facts.coveredHours} h of the ${facts.windowHours} h asked (oldest record read: ${oldest ?? facts.since}); older accounting was moved, deleted or not written`);
  }
  return out;
}

/** acct.csv -> acct-YYYY-MM-DD-NNNN.csv (UG §11.3.1). */
function datedName(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return `${base.replace(/\.csv$/, '')}-YYYY-MM-DD-NNNN.csv`;
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '' && !/^(file|chunks)\t/.test(l)) ?? '';
}

function accountingWarning(kind: string | undefined, count: number): string {
  switch (kind) {
    case 'badtime':
      return `accounting: ${count} d/t/b record(s) with an unreadable timeLogged were skipped`;
    case 'noheader':
      return `accounting: ${count} record(s) before any header line; the default PowerMTA column order was assumed`;
    case 'unterminated':
      return `accounting: ${count} record(s) with an unterminated quoted field were skipped`;
    case 'notime':
      return `accounting: ${count} d/t/b record(s) in files without a timeLogged column were not counted (add timeLogged to their record-fields, UG §11.2)`;
    default:
      return `accounting: ${kind ?? 'unknown'} ${count}`;
  }
}
