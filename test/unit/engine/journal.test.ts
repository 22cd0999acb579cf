import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, pendingUndos, readJournal } from '../../../src/engine/journal.js';
import { RefusedError } from '../../../src/util/errors.js';
import { lineHash } from '../../../src/engine/journal-chain.js';
import { removeFileAction } from '../../../src/steps/actions.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function journal(): { j: Journal; file: string; state: string } {
  const state = mkdtempSync(join(tmpdir(), 'mtaf-eng-unit-'));
  dirs.push(state);
  const j = Journal.open(join(state, 'st'), 'run1');
  return { j, file: j.file, state: join(state, 'st') };
}

const intent = (host: string, changeId: string) => ({
  type: 'intent' as const,
  host,
  changeId,
  task: 't',
  summary: `change ${changeId}`,
  do: [],
  undo: [removeFileAction(`/${changeId}`)],
});

describe('journal', () => {
  it('writes one JSON record per line, 0600 in a 0700 dir', () => {
    const { j, file, state } = journal();
    j.write(intent('h1', 'a'));
    j.write({ type: 'done', host: 'h1', changeId: 'a' });
    j.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(['intent', 'done']);
    expect(JSON.parse(lines[0]).at).toMatch(/^\d{4}-/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(state, 'runs', 'run1')).mode & 0o777).toBe(0o700);
    expect(statSync(state).mode & 0o777).toBe(0o700);
  });

  it('replays newest first per host, skips undone, includes intents without done', () => {
    const { j, file } = journal();
    j.write(intent('h1', 'a'));
    j.write({ type: 'done', host: 'h1', changeId: 'a' });
    j.write(intent('h2', 'x'));
    j.write({ type: 'done', host: 'h2', changeId: 'x' });
    j.write(intent('h1', 'b'));
    j.write({ type: 'done', host: 'h1', changeId: 'b' });
    j.write(intent('h1', 'c')); // killed before done
    j.write(intent('h2', 'y'));
    j.write({ type: 'undone', host: 'h2', changeId: 'y' });
    j.close();
    const pending = pendingUndos(readJournal(file, 'run1'));
    expect(pending.map((p) => `${p.host}:${p.changeId}:${p.completed}`)).toEqual(['h1:c:false', 'h1:b:true', 'h2:x:true', 'h1:a:true']);
    expect(pendingUndos(readJournal(file, 'run1'), new Set(['h2'])).map((p) => p.changeId)).toEqual(['x']);
  });

  it('ignores a torn last line (killed mid-write) but not a damaged middle line', () => {
    const { j, file } = journal();
    j.write(intent('h1', 'a'));
    j.close();
    appendFileSync(file, '{"type":"inte');
    expect(readJournal(file, 'run1')).toHaveLength(1);
    appendFileSync(file, '\n{"type":"done","host":"h1","changeId":"a"}\n');
    expect(() => readJournal(file, 'run1')).toThrow(/not valid JSON/);
  });

  it('chains each record to the previous one, starting from the run id', () => {
    const { j, file } = journal();
    j.write(intent('h1', 'a'));
    j.write({ type: 'done', host: 'h1', changeId: 'a' });
    j.close();
    const [first, second] = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(first.prev).toMatch(/^[0-9a-f]{64}$/);
    expect(second.prev).not.toBe(first.prev);
    expect(j.anchor.records).toBe(2);
    // The same journal under another run id (copied from another run) does not verify.
    expect(() => readJournal(file, 'run2')).toThrow(/record 1 does not start the chain of this run/);
  });

  describe('tampering is refused with the journal and the first bad record named', () => {
    function threeRecords(): { file: string; lines: string[]; anchor: { records: number; head: string } } {
      const { j, file } = journal();
      j.write(intent('h1', 'a'));
      j.write({ type: 'done', host: 'h1', changeId: 'a' });
      j.write(intent('h1', 'b'));
      j.close();
      return { file, lines: readFileSync(file, 'utf8').trim().split('\n'), anchor: j.anchor };
    }
    const refusedWith = (fn: () => unknown, re: RegExp) => {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RefusedError);
      expect((err as Error).message).toMatch(re);
    };

    it('an edited undo command', () => {
      const { file, lines, anchor } = threeRecords();
      const edited = lines[2].replace('"remove-file","path":"/b"', '"exec","command":"touch /tmp/canary"');
      expect(edited).not.toBe(lines[2]);
      writeFileSync(file, [lines[0], lines[1], edited].join('\n') + '\n');
      // The last record has no successor to break: the run record's anchor catches it.
      refusedWith(() => readJournal(file, 'run1', anchor), /journal.jsonl:3: journal record 3 does not match the chain head/);
      writeFileSync(file, [lines[0].replace('"/a"', '"/tmp/x"'), lines[1], lines[2]].join('\n') + '\n');
      refusedWith(() => readJournal(file, 'run1'), /journal.jsonl:2: journal record 2 does not follow record 1/);
    });

    it('a record without a chain hash (an older journal, or a forged one)', () => {
      const { file, lines } = threeRecords();
      const { prev: _prev, ...bare } = JSON.parse(lines[1]);
      writeFileSync(file, [lines[0], JSON.stringify(bare), lines[2]].join('\n') + '\n');
      refusedWith(() => readJournal(file, 'run1'), /:2: journal record 2 has no chain hash/);
    });

    it('an inserted, removed or reordered record', () => {
      const { file, lines } = threeRecords();
      const forged = JSON.stringify({ ...JSON.parse(lines[2]), changeId: 'z' });
      writeFileSync(file, [lines[0], forged, lines[1], lines[2]].join('\n') + '\n');
      refusedWith(() => readJournal(file, 'run1'), /:2: journal record 2 does not follow record 1/);
      writeFileSync(file, [lines[0], lines[2]].join('\n') + '\n');
      refusedWith(() => readJournal(file, 'run1'), /:2: journal record 2 does not follow record 1/);
      writeFileSync(file, [lines[1], lines[0], lines[2]].join('\n') + '\n');
      refusedWith(() => readJournal(file, 'run1'), /:1: journal record 1 does not start the chain/);
    });

    it('records cut from the tail, against the run record\'s anchor', () => {
      const { file, lines, anchor } = threeRecords();
      expect(readJournal(file, 'run1', anchor)).toHaveLength(3);
      writeFileSync(file, [lines[0], lines[1]].join('\n') + '\n');
      expect(readJournal(file, 'run1')).toHaveLength(2);
      refusedWith(() => readJournal(file, 'run1', anchor), /journal record 3 is missing \(the run record counted 3 records, the journal has 2\)/);
      // Appended after the run ended, even correctly chained: only a rollback's records may follow.
      writeFileSync(file, lines.join('\n') + '\n');
      const forged = JSON.stringify({ ...JSON.parse(lines[2]), prev: lineHash(lines[2]), changeId: 'z' });
      appendFileSync(file, forged + '\n');
      expect(readJournal(file, 'run1')).toHaveLength(4);
      refusedWith(() => readJournal(file, 'run1', anchor), /:4: journal record 4 \(type "intent"\) was written after the run ended/);
      const undone = JSON.stringify({ prev: lineHash(lines[2]), type: 'undone', host: 'h1', changeId: 'b', at: 'x' });
      writeFileSync(file, [...lines, undone].join('\n') + '\n');
      expect(readJournal(file, 'run1', anchor)).toHaveLength(4);
    });
  });

  it('resume cuts a torn last line and continues the chain after it', () => {
    const { j, file, state } = journal();
    j.write(intent('h1', 'a'));
    j.close();
    appendFileSync(file, '{"prev":"00","type":"TORN');
    const { journal: again, records } = Journal.resume(state, 'run1');
    expect(records).toHaveLength(1);
    again.write({ type: 'undone', host: 'h1', changeId: 'a' });
    again.close();
    expect(readJournal(file, 'run1').map((r) => r.type)).toEqual(['intent', 'undone']);
    expect(readFileSync(file, 'utf8')).not.toContain('TORN');
  });

  it('one writer at a time: a live writer refuses a rollback, a killed one is taken over', () => {
    const { j, file, state } = journal();
    j.write(intent('h1', 'a'));
    const writer = join(state, 'runs', 'run1', 'writer');
    expect(readFileSync(writer, 'utf8').trim()).toBe(String(process.pid));
    // The run is still writing (this process): a concurrent rollback would fork the chain.
    expect(() => Journal.resume(state, 'run1')).toThrow(new RegExp(`run run1 is being written by process ${process.pid}`));
    j.close();
    expect(existsSync(writer)).toBe(false);
    // A runner killed mid-run leaves its claim: a dead pid is no writer.
    writeFileSync(writer, `${spawnSync('true').pid}\n`, { mode: 0o600 });
    const { journal: rb } = Journal.resume(state, 'run1');
    expect(readFileSync(writer, 'utf8').trim()).toBe(String(process.pid));
    rb.write({ type: 'undone', host: 'h1', changeId: 'a' });
    rb.close();
    expect(existsSync(writer)).toBe(false);
    expect(readJournal(file, 'run1').map((r) => r.type)).toEqual(['intent', 'undone']);
  });
});
