import { describe, expect, it } from 'vitest';
import { renderTable } from '../../../src/report/table.js';
import { ESC, sampleReport } from './fixture.js';

describe('renderTable', () => {
  const out = renderTable(sampleReport());
  const lines = out.split('\n');

  it('has a header and one row per host with its state', () => {
    expect(lines[0]).toMatch(/^HOST\s+STATE\s+RATE\/H\s+QUEUE\s+TOP FINDING\s+EVIDENCE$/);
    for (const [name, state] of [['mta01', 'critical'], ['mta02', 'critical'], ['mta03', 'ok'], ['mta04', 'unreachable']]) {
      expect(lines.some((l) => l.startsWith(name) && l.includes(state))).toBe(true);
    }
  });

  it('shows rate and queue from PowerMTA status, else the newest accounting hour', () => {
    const row1 = lines.find((l) => l.startsWith('mta01'))!;
    expect(row1).toContain('98,000');
    expect(row1).toContain('250,000');
    expect(row1).toContain('spool-io (critical)');
    expect(row1).toContain('sdb %util 99.8 (iostat)');
    const row3 = lines.find((l) => l.startsWith('mta03'))!;
    expect(row3).toMatch(/mta03\s+ok\s+500\s+-/);
  });

  it('ends with the fleet summary and the unreachable host with its error', () => {
    expect(out).toContain('4 hosts, 3 reachable, 1 unreachable; findings: deferrals 1, ip-reputation 1, spool-io 1');
    expect(out).toMatch(/^unreachable: mta04: mta04 \(10\.0\.0\.4:22\): connection refused/m);
  });

  it('never passes control characters from hosts to the terminal, and no colour unless asked', () => {
    expect(out).not.toContain(ESC);
    expect(out).not.toContain('\u001b');
    const coloured = renderTable(sampleReport(), { color: true });
    expect(coloured).toContain('\u001b[31;1mcritical');
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).toBe(out);
  });

  it('aligns columns (every row has the STATE column at the same offset)', () => {
    const at = lines[0]!.indexOf('STATE');
    for (const l of lines.slice(1, 5)) expect(l.slice(at)).toMatch(/^(ok|critical|warn|failed|unreachable)\b/);
  });
});
