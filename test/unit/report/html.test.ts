import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../../src/report/html.js';
import { attr, findAll, hasClass, parseStrict } from './html-check.js';
import { sampleReport } from './fixture.js';

describe('renderHtml', () => {
  const html = renderHtml(sampleReport(), { inventoryFile: 'inv.yaml', generatedAt: '2026-11-28 12:00 UTC' });
  const doc = parseStrict(html);
  const sections = findAll(doc, (e) => e.name === 'section' && hasClass(e, 'host'));

  it('is well-formed: every tag closed, no raw < in text', () => {
    expect(() => parseStrict(html)).not.toThrow();
    expect(() => parseStrict('<div><p>x</div>')).toThrow(/closes/);
    expect(() => parseStrict('<p>a <b c</p>')).toThrow(/raw/);
  });

  it('is self-contained: no scripts, no external references', () => {
    expect(findAll(doc, (e) => e.name === 'script')).toEqual([]);
    expect(html).not.toMatch(/\s(src|href)="(?!#)/);
    expect(html).not.toMatch(/url\(/);
  });

  it('escapes every hostile string from hosts', () => {
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('connection refused &lt;script&gt;');
    expect(html).not.toContain('\u001b');
  });

  it('has a fleet overview tile per host coloured by its state', () => {
    const tiles = findAll(doc, (e) => e.name === 'a' && hasClass(e, 'tile'));
    expect(tiles.map((t) => attr(t, 'class'))).toEqual(['tile state-critical', 'tile state-critical', 'tile state-ok', 'tile state-unreachable']);
  });

  it('has, per host with accounting data, an hourly chart of exactly 24 bars', () => {
    expect(sections).toHaveLength(4);
    for (const section of sections.slice(0, 3)) {
      const charts = findAll(section, (e) => e.name === 'svg' && hasClass(e, 'hourly-chart'));
      expect(charts).toHaveLength(1);
      expect(findAll(charts[0]!, (e) => e.name === 'rect')).toHaveLength(24);
    }
    expect(findAll(sections[3]!, (e) => e.name === 'svg')).toHaveLength(0);
  });

  it('draws bar heights proportional to delivered, with the missing hour as 0', () => {
    const chart = findAll(sections[2]!, (e) => hasClass(e, 'hourly-chart'))[0]!;
    const heights = findAll(chart, (e) => e.name === 'rect').map((r) => Number(attr(r, 'height')));
    // mta03 delivers 500 every hour except the gap 5 hours before the newest.
    expect(heights[18]).toBe(0);
    expect(new Set(heights.filter((_, i) => i !== 18)).size).toBe(1);
    expect(heights[0]).toBeGreaterThan(0);
  });

  it('draws per-IP deferral bars, worst first, with labels', () => {
    const chart = findAll(sections[1]!, (e) => hasClass(e, 'ip-chart'))[0]!;
    const bars = findAll(chart, (e) => e.name === 'rect');
    expect(bars).toHaveLength(3);
    const widths = bars.map((b) => Number(attr(b, 'width')));
    expect(widths[0]).toBeGreaterThan(widths[1]!);
    expect(widths[1]).toBeGreaterThan(widths[2]!);
    expect(chart.children.some((c) => c.name === 'text' && c.text === '198.51.100.20')).toBe(true);
  });

  it('says deferral rates are unknown (not 0 %) when the log has no t records', () => {
    expect(findAll(sections[2]!, (e) => hasClass(e, 'ip-chart'))).toHaveLength(0);
    expect(sections[2]!.children.some((c) => c.name === 'p' && c.text.includes('deferral rates per IP are unknown'))).toBe(true);
  });

  it('shows the remedy command line and the unreachable error', () => {
    expect(html).toContain('mtafleet run playbooks/spool-migrate-nvme.yaml -i inv.yaml --limit mta01 -e spool_device=/dev/nvme0n1');
    expect(sections[3]!.children.some((c) => c.name === 'p' && hasClass(c, 'error'))).toBe(true);
  });
});
