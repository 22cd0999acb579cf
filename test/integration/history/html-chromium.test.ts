/**
 * `history --format html` through the built CLI, from a real SQLite store, rendered by Debian's
 * headless chromium: the page builds, has one trend chart per host (delivery rate and queue
 * lines, finding episodes shaded), the fleet timeline with findings opened and resolved, no
 * script element (hostile host names and finding subjects stayed text), and a screenshot.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/history/index.js';
import { buildOnce, runCli } from '../../helpers/cli.js';
import { record } from '../../helpers/history-records.js';
import { HOSTILE } from '../../unit/report/fixture.js';
import { findAll, hasClass, parseStrict, type Element } from '../../unit/report/html-check.js';
import { dumpDom, hasChromium, screenshot } from '../audit/chromium.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 20);
const EVIL = `mta3${HOSTILE}`;

describe.skipIf(!hasChromium)('history --format html in headless chromium', () => {
  let dir: string;
  let page: string;
  let html: string;
  let dom: Element;
  let domText: string;

  beforeAll(async () => {
    buildOnce();
    dir = mkdtempSync(join(tmpdir(), 'mtaf-hist-html-'));
    const file = join(dir, 'h.sqlite');
    const store = await openStore({ backend: 'sqlite', file });
    // 12 hourly audits: mta1 gets a spool-io finding at audit 3, resolved at 8; mta2 has one still open; mta3 is hostile.
    for (let i = 0; i < 12; i++) {
      await store.recordAudit(record(`a${i}`, T0 + i * H, [
        { name: 'mta1', rate: 4000 + i * 100, queue: 200 - i * 10, findings: i >= 3 && i < 8 ? ['spool-io!'] : [] },
        { name: 'mta2', rate: i === 5 ? undefined : 3000, queue: 50, findings: i >= 6 ? [`deferrals:${HOSTILE}`] : [], reachable: i !== 5 },
        { name: EVIL, rate: 1000, queue: 10 },
      ]));
    }
    await store.close();
    const { MTAFLEET_DB: _db, ...env } = process.env;
    const r = await runCli(['history', '--db', file, '--format', 'html', '--since', '2026-11-19'], env);
    expect(r.code, r.stderr).toBe(0);
    html = r.stdout;
    page = join(dir, 'history.html');
    writeFileSync(page, html);
    domText = await dumpDom(page, dir);
    dom = parseStrict(domText.slice(domText.indexOf('<html')));
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is well-formed as written, self-contained, with a CSP that forbids scripts', () => {
    expect(() => parseStrict(html)).not.toThrow();
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).not.toMatch(/<(script|link|img|iframe)\b/i);
  });

  it('has one trend chart per host, with rate and queue lines and the finding episodes shaded', () => {
    const sections = findAll(dom, (e) => e.name === 'section' && / id="host-\d+"/.test(e.attrs));
    expect(sections).toHaveLength(3);
    for (const s of sections) expect(findAll(s, (e) => e.name === 'svg' && hasClass(e, 'trend-chart'))).toHaveLength(1);
    const [mta1, mta2] = sections.map((s) => findAll(s, (e) => e.name === 'svg')[0]!);
    expect(findAll(mta1!, (e) => e.name === 'polyline' && hasClass(e, 'rate-line'))).toHaveLength(1);
    expect(findAll(mta1!, (e) => e.name === 'polyline' && hasClass(e, 'queue-line'))).toHaveLength(1);
    expect(findAll(mta1!, (e) => e.name === 'rect' && hasClass(e, 'finding-span'))).toHaveLength(1);
    expect(findAll(mta1!, (e) => e.name === 'rect' && hasClass(e, 'sev-critical'))).toHaveLength(1);
    // mta2 was not measured at audit 5: its rate line breaks there (two lines), not drawn as 0.
    expect(findAll(mta2!, (e) => e.name === 'polyline' && hasClass(e, 'rate-line'))).toHaveLength(2);
    expect(findAll(mta2!, (e) => e.name === 'rect' && hasClass(e, 'finding-span'))).toHaveLength(1);
  });

  it('has the fleet timeline: the rate, findings opened and resolved', () => {
    const timeline = findAll(dom, (e) => e.name === 'svg' && hasClass(e, 'fleet-timeline'));
    expect(timeline).toHaveLength(1);
    expect(findAll(timeline[0]!, (e) => e.name === 'polyline' && hasClass(e, 'rate-line'))).toHaveLength(1);
    expect(findAll(timeline[0]!, (e) => e.name === 'circle' && hasClass(e, 'opened'))).toHaveLength(2);
    expect(findAll(timeline[0]!, (e) => e.name === 'circle' && hasClass(e, 'resolved'))).toHaveLength(1);
  });

  it('kept hostile host text as text: no script element in the DOM', () => {
    expect(findAll(dom, (e) => e.name === 'script')).toEqual([]);
    expect(domText).toContain('mta3&lt;script&gt;');
    expect(domText).toContain('deferrals (&lt;script&gt;');
  });

  it('takes a screenshot', async () => {
    const png = join(dir, 'history.png');
    await screenshot(page, png, dir, '1200,2000');
    expect(statSync(png).size).toBeGreaterThan(10_000);
    if (process.env.MTAF_KEEP_SCREENSHOT) writeFileSync(process.env.MTAF_KEEP_SCREENSHOT, readFileSync(png));
  }, 120_000);
});
