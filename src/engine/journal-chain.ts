/**
 * The journal's digest chain: each record carries `prev`, the sha256 of the previous record's
 * line (the first one: of the run id), so a record edited, inserted, removed or reordered, or
 * a journal copied from another run, breaks the chain and rollback refuses it. The run record
 * anchors the head at the end of each run and rollback, so records cut from the tail show too,
 * and after it only a rollback's own records may follow.
 * A runner killed mid-write leaves an unterminated last line that is not JSON: that torn record
 * never reached the disk before its action (fsync comes first), so it is dropped, not refused.
 */
import { z } from 'zod';
import { InputError, RefusedError } from '../util/errors.js';
import { sha256Hex } from './canonical.js';
import type { JournalRecord } from './journal.js';

export interface JournalAnchor {
  /** Records in the journal when the anchor was taken. */
  records: number;
  /** The chain hash after those records. */
  head: string;
}

export interface VerifiedJournal {
  records: JournalRecord[];
  /** heads[i]: the chain hash after i records (heads[0]: the run's start). */
  heads: string[];
  /** Byte offset of a torn last line (to cut before appending), if any. */
  tornAt?: number;
  /** The last record is whole but lacks its newline (add one before appending). */
  unterminated: boolean;
}

export function chainStart(runId: string): string {
  return sha256Hex(`mtafleet-journal\n${runId}`);
}

export const lineHash = (line: string): string => sha256Hex(line);

const action = z.looseObject({ type: z.enum(['exec', 'write-file', 'remove-file']) });
const base = { prev: z.string().regex(/^[0-9a-f]{64}$/), at: z.string(), host: z.string(), changeId: z.string() };
const recordSchema = z.discriminatedUnion('type', [
  z.looseObject({ ...base, type: z.literal('intent'), task: z.string(), summary: z.string(), do: z.array(action), undo: z.array(action) }),
  z.looseObject({ ...base, type: z.literal('done') }),
  z.looseObject({ ...base, type: z.literal('failed'), error: z.string() }),
  z.looseObject({ ...base, type: z.literal('undone') }),
  z.looseObject({ ...base, type: z.literal('undo-failed'), error: z.string() }),
]);

function broken(file: string, n: number, what: string): RefusedError {
  return new RefusedError(
    `${file}:${n}: journal record ${n} ${what}: records were edited, inserted, removed or reordered since mtafleet wrote them; refusing to use this journal (restore by hand from the run's plan or diff)`,
  );
}

/** Parses and checks a journal's text against the chain of run `runId` (pure). */
export function verifyJournal(text: string, file: string, runId: string): VerifiedJournal {
  const lines = text.split('\n');
  const tail = lines.pop()!; // '' when the file ends with a newline
  const records: JournalRecord[] = [];
  const heads = [chainStart(runId)];
  const check = (line: string, n: number, isTail: boolean): boolean => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (isTail) return false;
      throw new InputError(`${file}:${n}: journal record is not valid JSON`);
    }
    if (typeof value === 'object' && value !== null && !('prev' in value)) throw broken(file, n, 'has no chain hash (an older mtafleet wrote it, or it was edited)');
    const parsed = recordSchema.safeParse(value);
    if (!parsed.success) throw new InputError(`${file}:${n}: not a journal record: ${parsed.error.issues[0]?.message ?? 'bad shape'}`);
    if (parsed.data.prev !== heads[heads.length - 1]) {
      throw broken(file, n, n === 1 ? 'does not start the chain of this run' : `does not follow record ${n - 1}`);
    }
    const { prev: _prev, ...record } = parsed.data;
    records.push(record as unknown as JournalRecord);
    heads.push(lineHash(line));
    return true;
  };
  lines.forEach((line, i) => check(line, i + 1, false));
  if (tail === '') return { records, heads, unterminated: false };
  if (check(tail, lines.length + 1, true)) return { records, heads, unterminated: true };
  return { records, heads, unterminated: false, tornAt: Buffer.byteLength(text) - Buffer.byteLength(tail) };
}

/** Refuses a journal that lost records the run record saw (cut from the tail). */
export function checkAnchor(v: VerifiedJournal, anchor: JournalAnchor | undefined, file: string): void {
  if (!anchor) return;
  if (v.records.length < anchor.records) {
    throw broken(file, v.records.length + 1, `is missing (the run record counted ${anchor.records} records, the journal has ${v.records.length})`);
  }
  if (v.heads[anchor.records] !== anchor.head) throw broken(file, anchor.records, 'does not match the chain head the run record holds');
  // After the anchor only a rollback killed before it updated the run record wrote: it records
  // what it undid, never a new change (so nothing appended there can add an undo command).
  const late = v.records.findIndex((r, i) => i >= anchor.records && r.type !== 'undone' && r.type !== 'undo-failed');
  if (late >= 0) throw broken(file, late + 1, `(type "${v.records[late].type}") was written after the run ended`);
}
