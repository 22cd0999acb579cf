/**
 * The HTML report rendered by a real browser (Debian's headless chromium): the DOM it builds
 * has an hourly chart with 24 bars per host with data, the per-IP deferral bars, no script
 * element (hostile host strings stayed text), and a screenshot can be taken for a human look.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../../src/report/html.js';
import { HOSTILE, sampleReport } from '../../unit/report/fixture.js';
import { findAll, hasClass, parseStrict, type Element } from '../../unit/report/html-check.js';
import { dumpDom, hasChromium, screenshot } from './chromium.js';

describe.skipIf(!hasChromium)('HTML report in headless chromium', () => {
  let dir: string;
  let page: string;
  let dom: Element;
  let domText: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mtaf-rep-chromium-'));
    page = join(dir, 'audit.html');
    writeFileSync(page, renderHtml(sampleReport(), { inventoryFile: 'inv.yaml', generatedAt: '2026-11-28T12:00:00Z' }));
    domText = await dumpDom(page, dir);
    dom = parseStrict(domText.slice(domText.indexOf('<html')));
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('builds an hourly chart of 24 bars for every host with accounting data', () => {
    const charts = findAll(dom, (e) => e.name === 'svg' && hasClass(e, 'hourly-chart'));
    expect(charts).toHaveLength(3);
    for (const chart of charts) expect(findAll(chart, (e) => e.name === 'rect')).toHaveLength(24);
  });

  it('builds the per-IP deferral bars', () => {
    const charts = findAll(dom, (e) => e.name === 'svg' && hasClass(e, 'ip-chart'));
    expect(charts.map((c) => findAll(c, (e) => e.name === 'rect').length)).toEqual([1, 3]);
  });

  it('kept hostile host strings as text: no script element in the DOM', () => {
    expect(findAll(dom, (e) => e.name === 'script')).toEqual([]);
    expect(domText).toContain('&lt;script&gt;');
    expect(HOSTILE).toContain('<script>');
  });

  it('takes a screenshot', async () => {
    const png = join(dir, 'audit.png');
    await screenshot(page, png, dir);
    expect(statSync(png).size).toBeGreaterThan(10_000);
    // For a look by eye: MTAF_KEEP_SCREENSHOT=/some/file.png
    if (process.env.MTAF_KEEP_SCREENSHOT) writeFileSync(process.env.MTAF_KEEP_SCREENSHOT, readFileSync(png));
  }, 120_000);
});
