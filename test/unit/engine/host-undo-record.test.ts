/**
 * The validator of the undo records read back from a host (hostile input): only well-formed
 * records of this run and this host are used; anything else refuses the host in plain words.
 */
import { describe, expect, it } from 'vitest';
import { HostRecordError, MAX_HOST_RECORD_BYTES, MAX_HOST_RECORD_LINES, hostRecordLine, parseHostRecords } from '../../../src/engine/host-undo-record.js';
import { parseListing } from '../../../src/engine/host-undo.js';
import type { JournalEntry } from '../../../src/engine/journal.js';

const RUN = '20261203T082400Z-abc123';
const HOST = 'mta01';
const AT = '2026-12-03T08:24:00.000Z';
const b64 = (s: string) => Buffer.from(s).toString('base64');

const intent = (changeId = 'p0-t0-c0', host = HOST): JournalEntry => ({
  type: 'intent',
  host,
  changeId,
  task: 'tune',
  summary: 'set net.ipv4.tcp_fin_timeout 60 -> 10',
  do: [{ type: 'exec', command: "sysctl -w net.ipv4.tcp_fin_timeout=10", become: true }],
  undo: [
    { type: 'exec', command: "sysctl -w net.ipv4.tcp_fin_timeout=60", become: true, okExitCodes: [0] },
    { type: 'write-file', path: '/etc/sysctl.d/90-mtafleet.conf', contentBase64: b64('old\n'), mode: 0o644, owner: 'root', become: true },
    { type: 'remove-file', path: '/etc/pmta/extra.conf' },
  ],
});

function file(...entries: JournalEntry[]): string {
  return entries.map((e) => hostRecordLine(RUN, e, AT, 'alice') + '\n').join('');
}

function refusal(data: string | Buffer, expectHost = HOST, runId = RUN): string {
  try {
    parseHostRecords(data, { host: expectHost, runId });
  } catch (err) {
    expect(err).toBeInstanceOf(HostRecordError);
    return (err as Error).message;
  }
  throw new Error('accepted');
}

describe('parseHostRecords', () => {
  it('gives back the journal records mtafleet wrote (the host-only user field dropped)', () => {
    const text = file(intent(), { type: 'done', host: HOST, changeId: 'p0-t0-c0' }, intent('p0-t1-c0'), { type: 'undone', host: HOST, changeId: 'p0-t1-c0' });
    const records = parseHostRecords(text, { host: HOST, runId: RUN });
    expect(records.map((r) => `${r.type} ${r.changeId}`)).toEqual(['intent p0-t0-c0', 'done p0-t0-c0', 'intent p0-t1-c0', 'undone p0-t1-c0']);
    expect(records[0]).toEqual({ ...intent(), at: AT });
    expect(JSON.parse(text.split('\n')[0]!).user).toBe('alice');
  });

  it('accepts a done record marked unchanged (a command judged not changed), and nothing else in that field', () => {
    const ok = file(intent(), { type: 'done', host: HOST, changeId: 'p0-t0-c0', unchanged: true } as unknown as JournalEntry);
    expect(parseHostRecords(ok, { host: HOST, runId: RUN })[1]).toEqual({ type: 'done', host: HOST, changeId: 'p0-t0-c0', unchanged: true, at: AT });
    expect(refusal(file(intent(), { type: 'done', host: HOST, changeId: 'p0-t0-c0', unchanged: 'yes' } as unknown as JournalEntry))).toMatch(/^line 2 is not an undo record mtafleet writes/);
  });

  it('refuses a record naming another host: a host may only undo its own changes', () => {
    expect(refusal(file(intent(), intent('p0-t1-c0', 'mta02')))).toBe('line 2 names host "mta02": a host\'s records may only touch that host');
  });

  it('refuses records of another run (a file copied or renamed)', () => {
    expect(refusal(file(intent()), HOST, '20261203T000000Z-other1')).toMatch(/^line 1 belongs to run "20261203T082400Z-abc123", not 20261203T000000Z-other1$/);
  });

  it('refuses malformed JSON, a cut file, an empty file, and text that is not UTF-8', () => {
    expect(refusal(file(intent()) + '{"run":\n')).toBe('line 2 is not valid JSON');
    expect(refusal(file(intent()).slice(0, -1))).toBe('the record does not end with a newline (cut short)');
    expect(refusal('')).toBe('the record is empty');
    expect(refusal(Buffer.concat([Buffer.from(file(intent())), Buffer.from([0xff, 0x0a])]))).toBe('the record is not UTF-8 text');
  });

  it('refuses unknown action types, unknown record types and fields mtafleet never writes', () => {
    const unknownAction = { ...intent(), undo: [{ type: 'ssh-other-host', command: 'x' }] } as unknown as JournalEntry;
    expect(refusal(file(unknownAction))).toMatch(/^line 1 is not an undo record mtafleet writes: .*\(at undo\.0\.type\)$/);
    const unknownType = { type: 'exec-now', host: HOST, changeId: 'p0-t0-c0' } as unknown as JournalEntry;
    expect(refusal(file(unknownType))).toMatch(/^line 1 is not an undo record mtafleet writes: .*\(at type\)$/);
    const extra = { ...intent(), undo: [{ type: 'remove-file', path: '/x', sudoPassword: 'p' }] } as unknown as JournalEntry;
    expect(refusal(file(extra))).toMatch(/^line 1 is not an undo record mtafleet writes: .*sudoPassword/);
    const relative = { ...intent(), undo: [{ type: 'remove-file', path: 'etc/passwd' }] } as unknown as JournalEntry;
    expect(refusal(file(relative))).toMatch(/a remote path must be absolute \(at undo\.0\.path\)/);
    const notB64 = { ...intent(), undo: [{ type: 'write-file', path: '/x', contentBase64: '$(reboot)' }] } as unknown as JournalEntry;
    expect(refusal(file(notB64))).toMatch(/at undo\.0\.contentBase64/);
    const badId = { ...intent(), changeId: '../../x' } as JournalEntry;
    expect(refusal(file(badId))).toMatch(/not a change id/);
  });

  it('refuses an oversized record or one with too many lines, before parsing it', () => {
    const big = 'x'.repeat(MAX_HOST_RECORD_BYTES + 1);
    expect(refusal(big)).toBe(`the record is ${MAX_HOST_RECORD_BYTES + 1} bytes, more than the ${MAX_HOST_RECORD_BYTES} allowed`);
    expect(refusal('\n'.repeat(MAX_HOST_RECORD_LINES + 1))).toMatch(/more than the 20000 allowed/);
  });

  it('refuses outcomes of changes no line announced, and a change announced twice', () => {
    expect(refusal(file({ type: 'undone', host: HOST, changeId: 'p0-t9-c0' }))).toBe('line 1 (undone) is about change p0-t9-c0, which no earlier line announced');
    expect(refusal(file(intent(), intent()))).toBe('line 2 repeats change p0-t0-c0');
  });
});

describe('parseListing (what `runs --from-hosts` reads of a host)', () => {
  it('keeps only well-formed `bytes mtime intents undone RUN.jsonl` lines, newest first', () => {
    const out = parseListing(
      [
        '120 1764750000 2 0 20261203T082400Z-abc123.jsonl',
        '99 1764760000 1 1 20261203T092400Z-def456.jsonl',
        '1 2 3 4 ../../etc.jsonl',
        '1 2 3 4 ...jsonl',
        `1 2 3 4 \u001b[2Jx.jsonl`,
        'garbage',
      ].join('\n'),
    );
    expect(out.map((r) => `${r.runId} ${r.intents}/${r.undone}`)).toEqual(['20261203T092400Z-def456 1/1', '20261203T082400Z-abc123 2/0']);
  });
});
