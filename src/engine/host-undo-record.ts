/**
 * The undo records a host keeps of the runs that changed it (host-undo.ts writes and reads
 * them): one JSON line per journal record of that host, each naming its run. Pure.
 *
 * Read back from a host they are hostile input — anyone root there may have written them — and
 * are validated before use: bounded size and line count, every line a journal record of the
 * exact shape mtafleet writes (strict: unknown fields or action types refuse), of this run id,
 * naming this host and no other. A record that fails refuses the whole host: a partial set of
 * undo records would restore part of a change.
 */
import { z } from 'zod';
import type { JournalEntry, JournalRecord } from './journal.js';

/** Largest host copy read back (and the cap the read script checks before printing it). */
export const MAX_HOST_RECORD_BYTES = 8 * 1024 * 1024;
export const MAX_HOST_RECORD_LINES = 20_000;

export class HostRecordError extends Error {}

const text = (max: number) => z.string().max(max);
const becomeFlag = z.boolean().optional();
const action = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('exec'),
    command: text(1024 * 1024),
    become: becomeFlag,
    stdinBase64: z.string().max(MAX_HOST_RECORD_BYTES).regex(/^[A-Za-z0-9+/=]*$/).optional(),
    timeoutMs: z.number().int().positive().max(7 * 24 * 3_600_000).optional(),
    okExitCodes: z.array(z.number().int().min(0).max(255)).max(256).optional(),
    expectStdout: text(4096).optional(),
  }),
  z.strictObject({
    type: z.literal('write-file'),
    path: text(4096).regex(/^\//, 'a remote path must be absolute'),
    contentBase64: z.string().max(MAX_HOST_RECORD_BYTES).regex(/^[A-Za-z0-9+/=]*$/),
    mode: z.number().int().min(0).max(0o7777).optional(),
    owner: text(256).optional(),
    group: text(256).optional(),
    become: becomeFlag,
  }),
  z.strictObject({ type: z.literal('remove-file'), path: text(4096).regex(/^\//, 'a remote path must be absolute'), become: becomeFlag }),
]);

const base = {
  run: z.string(),
  host: z.string(),
  at: text(64),
  changeId: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'not a change id'),
};
const lineSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...base, type: z.literal('intent'), user: text(256).optional(), task: text(4096), summary: text(4096), do: z.array(action).max(1000), undo: z.array(action).max(1000) }),
  // `unchanged`: a command its changed_when judged not changed (main's journal writes it; nothing to undo).
  z.strictObject({ ...base, type: z.literal('done'), unchanged: z.literal(true).optional() }),
  z.strictObject({ ...base, type: z.literal('failed'), error: text(16 * 1024) }),
  z.strictObject({ ...base, type: z.literal('undone') }),
  z.strictObject({ ...base, type: z.literal('undo-failed'), error: text(16 * 1024) }),
]);

export type HostRecordLine = z.infer<typeof lineSchema>;

/** The line a host keeps for one journal record (intents also say who ran the change). */
export function hostRecordLine(runId: string, entry: JournalEntry, at: string, user?: string): string {
  const line: Record<string, unknown> = { run: runId, ...entry, at };
  if (entry.type === 'intent' && user !== undefined) line.user = user;
  return JSON.stringify(line);
}

/**
 * A run's journal records as the lines the hosts keep, numbered per host in the journal's order
 * (what the history store keeps of a run: the same lines, read back through parseHostRecords).
 */
export function hostRecordRows(runId: string, records: readonly JournalRecord[], user?: string): Array<{ host: string; seq: number; line: string }> {
  const seq = new Map<string, number>();
  return records.map(({ at, ...entry }) => {
    const n = seq.get(entry.host) ?? 0;
    seq.set(entry.host, n + 1);
    return { host: entry.host, seq: n, line: hostRecordLine(runId, entry as JournalEntry, at, user) };
  });
}

/**
 * The host's copy of run `runId`, checked as hostile input: returns its journal records, or
 * throws HostRecordError saying, in plain words, why none of them may be used.
 */
export function parseHostRecords(data: Buffer | string, expect: { host: string; runId: string }): JournalRecord[] {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  if (size > MAX_HOST_RECORD_BYTES) throw new HostRecordError(`the record is ${size} bytes, more than the ${MAX_HOST_RECORD_BYTES} allowed`);
  const content = typeof data === 'string' ? data : data.toString('utf8');
  if (typeof data !== 'string' && !Buffer.from(content, 'utf8').equals(data)) throw new HostRecordError('the record is not UTF-8 text');
  if (content === '') throw new HostRecordError('the record is empty');
  if (!content.endsWith('\n')) throw new HostRecordError('the record does not end with a newline (cut short)');
  const lines = content.slice(0, -1).split('\n');
  if (lines.length > MAX_HOST_RECORD_LINES) throw new HostRecordError(`the record has ${lines.length} lines, more than the ${MAX_HOST_RECORD_LINES} allowed`);
  const intents = new Set<string>();
  return lines.map((line, i) => {
    const where = `line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new HostRecordError(`${where} is not valid JSON`);
    }
    const parsed = lineSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.length ? ` (at ${issue.path.join('.')})` : '';
      throw new HostRecordError(`${where} is not an undo record mtafleet writes: ${issue?.message ?? 'bad shape'}${path}`);
    }
    const { run, user: _user, ...record } = parsed.data as HostRecordLine & { user?: string };
    if (run !== expect.runId) throw new HostRecordError(`${where} belongs to run ${JSON.stringify(run.slice(0, 80))}, not ${expect.runId}`);
    if (record.host !== expect.host) throw new HostRecordError(`${where} names host ${JSON.stringify(record.host.slice(0, 80))}: a host's records may only touch that host`);
    if (record.type === 'intent') {
      if (intents.has(record.changeId)) throw new HostRecordError(`${where} repeats change ${record.changeId}`);
      intents.add(record.changeId);
    } else if (!intents.has(record.changeId)) {
      throw new HostRecordError(`${where} (${record.type}) is about change ${record.changeId}, which no earlier line announced`);
    }
    return record as JournalRecord;
  });
}
