import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, pendingUndos, readJournal } from '../../../src/engine/journal.js';
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
});
