/**
 * The simulator's accounting files (src/lab/assets/lib/acct-files.mjs): UG §11.3.1 naming
 * (<acct-file log/acct.csv> writes acct-2007-09-05-0000.csv), move-to every move-interval,
 * `records` subsets, pipes skipped, a restart never writing over an archive.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acctFiles, acctPath, datedName, intervalMs } from '../../../src/lab/assets/lib/acct-files.mjs';

const root = mkdtempSync(join(tmpdir(), 'mtaf-sim-acctfiles-'));
let saved: string | undefined;
beforeAll(() => {
  saved = process.env.PMTA_SIM_ROOT;
  process.env.PMTA_SIM_ROOT = root;
});
afterAll(() => {
  if (saved === undefined) delete process.env.PMTA_SIM_ROOT;
  else process.env.PMTA_SIM_ROOT = saved;
  rmSync(root, { recursive: true, force: true });
});

const HOUR = 3600_000;
const NOW = Date.parse('2026-11-27T05:30:00Z');
/** Three hours of history, one d, one b and one t a hour. */
function* hours() {
  for (let h = 3; h >= 1; h--) {
    const start = NOW - (NOW % HOUR) - h * HOUR;
    const t = new Date(start).toISOString().slice(0, 19).replace('T', ' ');
    yield { hourStart: start, text: `d,${t}+0000,a@x\nb,${t}+0000,b@x\nt,${t}+0000,c@x\n` };
  }
}

describe('simulator acct files', () => {
  it('names, intervals and pipes as UG §11.3 / §11.3.1 say', () => {
    expect(datedName('log/acct.csv', Date.parse('2007-09-05T10:00:00Z'), 0)).toBe('log/acct-2007-09-05-0000.csv');
    expect(intervalMs('1h')).toBe(HOUR);
    expect(intervalMs('5m')).toBe(300_000);
    expect(acctPath('"/a b/acct.csv"')).toBe('/a b/acct.csv');
    expect(acctPath('|/usr/local/bin/etl')).toBeNull();
  });

  it('writes each block its record types, hourly archives in move-to, then a dated live file; rotate moves it', () => {
    const model = {
      acctFiles: [
        { path: '/log/acct.csv', records: ['d', 'b'], moveTo: '/log/archive', moveInterval: '1h' },
        { path: '/log/t.csv', records: ['t'], moveTo: '/log/archive', moveInterval: '1h' },
        { path: '|/usr/local/bin/etl', records: ['d'] },
      ],
    };
    const files = acctFiles(model, '/log/acct.csv', true);
    expect(files.map((f: { path: string }) => f.path)).toEqual(['/log/acct.csv', '/log/t.csv']);
    const shared = [...hours()];
    for (const f of files) f.open(() => shared, NOW);
    expect(readdirSync(join(root, 'log/archive')).sort()).toEqual([
      'acct-2026-11-27-0000.csv', 'acct-2026-11-27-0001.csv', 'acct-2026-11-27-0002.csv',
      't-2026-11-27-0000.csv', 't-2026-11-27-0001.csv', 't-2026-11-27-0002.csv',
    ]);
    const first = readFileSync(join(root, 'log/archive/acct-2026-11-27-0000.csv'), 'utf8').split('\n');
    expect(first[0]).toMatch(/^type,timeLogged,/);
    expect(first.slice(1).filter(Boolean).map((l) => l[0])).toEqual(['d', 'b']);
    expect(readFileSync(join(root, 'log/archive/t-2026-11-27-0001.csv'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => l[0])).toEqual(['t']);
    expect(files[0].live).toBe('/log/acct-2026-11-27-0003.csv');
    files[0].write('d', 'd,live\n');
    files[0].write('t', 't,live\n');
    files[0].rotate(NOW + 1000);
    expect(existsSync(join(root, 'log/archive/acct-2026-11-27-0003.csv'))).toBe(true);
    expect(readFileSync(join(root, 'log/archive/acct-2026-11-27-0003.csv'), 'utf8')).toMatch(/\nd,live\n$/);
    expect(files[0].live).toBe('/log/acct-2026-11-27-0004.csv');

    // A restart: a new live file after the highest counter, history not written again.
    const again = acctFiles(model, '/log/acct.csv', true);
    for (const f of again) f.open(() => shared, NOW + 2000);
    expect(again[0].live).toBe('/log/acct-2026-11-27-0005.csv');
    expect(readdirSync(join(root, 'log/archive'))).toHaveLength(7);
  });
});
