/**
 * The pure halves of team runs: a run's journal as the store keeps it (the hosts' line format,
 * numbered per host) reads back through the host-copy validator; the store's rows render as
 * inert text (hostile who, playbook, host names), and a store journal per host is summed up or
 * its refusal said.
 */
import { describe, expect, it } from 'vitest';
import { hostRecordRows, parseHostRecords } from '../../../src/engine/host-undo-record.js';
import type { JournalRecord } from '../../../src/engine/journal.js';
import { journalHosts, renderStoreRun, storeRunJson, storeRunLine } from '../../../src/cli/runs-store.js';
import type { RunRow } from '../../../src/history/index.js';

const AT = '2026-12-03T09:00:00.000Z';
const intent = (host: string, changeId: string): JournalRecord => ({
  type: 'intent', at: AT, host, changeId, task: 't', summary: `change ${changeId}`, do: [{ type: 'exec', command: 'true' }], undo: [{ type: 'exec', command: 'false' }],
});
const RECORDS: JournalRecord[] = [
  intent('mta1', 'c0'),
  intent('mta2', 'c0'),
  { type: 'done', at: AT, host: 'mta1', changeId: 'c0' },
  intent('mta1', 'c1'),
  { type: 'undone', at: AT, host: 'mta2', changeId: 'c0' },
];

describe('a run journal as store rows', () => {
  it('numbers each host’s records in journal order, in the line format the validator reads back', () => {
    const rows = hostRecordRows('r1', RECORDS, 'ops');
    expect(rows.map((r) => [r.host, r.seq])).toEqual([['mta1', 0], ['mta2', 0], ['mta1', 1], ['mta1', 2], ['mta2', 1]]);
    const text = (host: string) => rows.filter((r) => r.host === host).map((r) => `${r.line}\n`).join('');
    expect(parseHostRecords(text('mta1'), { host: 'mta1', runId: 'r1' })).toEqual(RECORDS.filter((r) => r.host === 'mta1'));
    expect(parseHostRecords(text('mta2'), { host: 'mta2', runId: 'r1' })).toEqual(RECORDS.filter((r) => r.host === 'mta2'));
    expect(() => parseHostRecords(text('mta1'), { host: 'mta2', runId: 'r1' })).toThrow(/names host "mta1": a host's records may only touch that host/);
    expect(() => parseHostRecords(text('mta1'), { host: 'mta1', runId: 'r2' })).toThrow(/belongs to run "r1", not r2/);
  });

  it('sums each host up from its validated lines, or says why they are refused', () => {
    const rows = hostRecordRows('r1', RECORDS);
    const text = (host: string) => rows.filter((r) => r.host === host).map((r) => `${r.line}\n`).join('');
    const forged = text('mta2').replace('"host":"mta2"', '"host":"mta1"');
    const hosts = journalHosts('r1', new Map([['mta1', { text: text('mta1') }], ['mta2', { text: forged }], ['big', { refused: 'too many' }]]));
    expect(hosts).toEqual([
      { host: 'mta1', records: 3, intents: 2, undone: 0, refused: null },
      { host: 'mta2', records: 0, intents: 0, undone: 0, refused: expect.stringMatching(/^line 1 names host "mta1"/) },
      { host: 'big', records: 0, intents: 0, undone: 0, refused: 'too many' },
    ]);
  });
});

describe('store run rows as text', () => {
  const row: RunRow = {
    id: 'r1', runId: 'r1', command: 'apply', who: 'ops\u001b[2J@ctl', startedAt: Date.UTC(2026, 11, 3, 9), finishedAt: null, check: false,
    playbook: 'p\nfake line', planFile: 'x.plan', inventory: 'inv.yaml', hosts: [{ name: 'mta\u001b]0;x\u0007', status: 'changed', changes: 2 }],
    summary: { ok: 0, changed: 1, failed: 0, unreachable: 0, refused: 0 }, outcome: 'changed',
  };
  const json = storeRunJson(row, [{ principal: 'alice@example.com', keyType: 'ssh-ed25519', key: 'SHA256:abc' }]);

  it('one line per row: who, when, what, outcome, approvers; host text cannot drive the terminal or add lines', () => {
    const line = storeRunLine(json);
    expect(line).toMatch(/^r1  2026-12-03T09:00:00\.000Z  ops.*@ctl  apply  p.*fake line  1 host\(s\)  changed \(changed=1\)  approved by alice@example\.com$/);
    expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(storeRunLine({ ...json, command: 'rollback', signers: [] })).toContain('  rollback of r1  ');
  });

  it('one run with its rows and the undo records per host', () => {
    const text = renderStoreRun('r1', [json], [{ host: 'mta1', records: 3, intents: 2, undone: 1, refused: null }, { host: 'mta2', records: 0, intents: 0, undone: 0, refused: 'line 1 is not valid JSON' }], 'postgres://***:***@db/x');
    expect(text.split('\n')[0]).toBe('run r1 (from the history store postgres://***:***@db/x)');
    expect(text).toContain('    approved by alice@example.com (ssh-ed25519 SHA256:abc)');
    expect(text).toContain('    mta1: 2 change(s) recorded, 1 undone');
    expect(text).toContain('    mta2: unusable: line 1 is not valid JSON');
    expect(text.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f\u007f]/);
  });
});
