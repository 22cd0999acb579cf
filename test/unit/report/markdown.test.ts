import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { sampleReport } from './fixture.js';

describe('renderMarkdown', () => {
  const out = renderMarkdown(sampleReport(), { inventoryFile: '/etc/mtafleet/prod inv.yaml' });

  it('has a summary table with every host', () => {
    expect(out).toContain('| Host | State | Rate/h | Queue | Top finding |');
    expect(out).toMatch(/^\| mta01 \| critical \| 98,000 \| 250,000 \| spool-io \(critical\) \|$/m);
    expect(out).toMatch(/^\| mta04 \| unreachable \| - \| - \| - \|$/m);
  });

  it('gives the remedy command line with inventory, limit and quoted -e values', () => {
    expect(out).toContain(
      "mtafleet run playbooks/spool-migrate-nvme.yaml -i '/etc/mtafleet/prod inv.yaml' --limit mta01 -e spool_device=/dev/nvme0n1 -e 'note=it'\\''s quoted'",
    );
    expect(out).toMatch(/```sh\nmtafleet run playbooks\/spool-migrate-nvme\.yaml/);
  });

  it('shows advice remedies as text, evidence as a list, and the unreachable error', () => {
    expect(out).toContain('Remedy: Rest or re-warm the IP; this is not a configuration problem');
    expect(out).toContain('- sdb %util 99.8 (iostat)');
    expect(out).toContain('**Unreachable:** mta04 (10.0.0.4:22): connection refused');
    expect(out).toContain('## mta03 (ok)\n\nNo bottleneck found.');
  });

  it('escapes host output: no raw HTML, no stray emphasis, one line', () => {
    expect(out).not.toContain('<script>');
    expect(out).toContain('&lt;script&gt;');
    expect(out).toContain('\\*bold\\*');
    expect(out).not.toContain('\u001b');
  });

  it('lists unavailable probes and probe warnings', () => {
    expect(out).toContain('Probes unavailable:\n\n- fio: fio not installed');
    expect(out).toContain('Probe warnings:\n\n- unparsed iostat line: &lt;script&gt;');
  });

  it('says when and from which inventory, when told', () => {
    const dated = renderMarkdown(sampleReport(), { inventoryFile: 'inv.yaml', generatedAt: '2026-11-28T12:00:00Z' });
    expect(dated.split('\n')[2]).toBe('Generated 2026-11-28T12:00:00Z from inventory inv.yaml.');
    expect(out).not.toContain('Generated');
  });

  it('uses a placeholder when the inventory path is unknown', () => {
    expect(renderMarkdown(sampleReport())).toContain('-i INVENTORY --limit mta01');
  });
});

describe('escapeMarkdown', () => {
  it('escapes emphasis, code, links and pipes but leaves intraword underscores readable', async () => {
    const { escapeMarkdown } = await import('../../../src/report/text.js');
    expect(escapeMarkdown('ip_local_port_range _x_ *b* `c` [l](u) a|b <i>')).toBe('ip_local_port_range \\_x\\_ \\*b\\* \\`c\\` \\[l\\](u) a\\|b &lt;i&gt;');
  });
});
