/**
 * Issue #12 item 7: bad input from a host (a layout we do not know, a format version we do not
 * know, a line we cannot parse) is a warning naming the probe and the line, never a silent zero
 * or default. Each probe gets host output with one bad part, through collectFacts (which names
 * the probe on every warning), and its facts must not pretend to know the bad value.
 */
import { describe, expect, it } from 'vitest';
import { collectFacts, type HostFacts } from '../../../src/probes/index.js';

const M = '@@mtafleet-batch-badinput';
/** A probe batch's stdout: each probe's own stdout between the batch markers (batch.ts). */
function batch(sections: Record<string, string>): string {
  const parts = [M];
  for (const [name, stdout] of Object.entries(sections)) parts.push(`${M} begin ${name}`, stdout, `${M} stderr ${name}`, '', `${M} end ${name} 0`);
  return `${parts.join('\n')}\n`;
}
const sub = (name: string, text: string, rc = 0): string => `@@mtafleet-sub ${name}\n${text}\n@@mtafleet-rc ${name} ${rc}`;
const facts = (sections: Record<string, string>): HostFacts => collectFacts(batch(sections));
const warned = (h: HostFacts, probe: string): string[] => h.warnings.filter((w) => w.startsWith(`${probe}: `));

const STATUS = `PowerMTA v5.0 status on example.port25.com on 2018-09-10 10:16:19

  Traffic    ------------inbound------------  ------------outbound-----------
                 rcpts      msgs      kbytes      rcpts      msgs      kbytes
  Last Hour     939437      5940    233409.5     939263    939263  34544775.4
`;

describe('every probe names itself and the line it could not read', () => {
  it('pmta-status: an unknown status line, an unknown listing line, an unknown PowerMTA version', () => {
    const h = facts({
      'pmta-status': [
        sub('status', `${STATUS}  Quantum    42\n`),
        sub('domains', '-----------------------------domain --#rcpt ---kbytes conn last error----------\n         gmail.com  12 3.0 1\n%%% not a row\n\n1 of 1 domains shown.'),
      ].join('\n'),
    });
    const v7 = facts({ 'pmta-status': sub('status', STATUS.replace('v5.0', 'v7.1')) });
    const w = warned(h, 'pmta-status');
    expect(w).toContain('pmta-status: pmta show status line 6: unrecognised: Quantum    42');
    expect(w, JSON.stringify(w)).toContain("pmta-status: pmta show topdomains --maxitems=200 line 3: unrecognised: %%% not a row");
    expect(warned(v7, 'pmta-status').some((x) => /PowerMTA version v?7\.1 is not one whose formats mtafleet knows/.test(x)), JSON.stringify(v7.warnings)).toBe(true);
  });

  it('config: a line it cannot parse, and a global number it cannot read (not taken as unset)', () => {
    const h = facts({
      config: ['path\t1\t/etc/pmta/config', 'size\t1\t80', sub('file1', 'total-max-smtp-out lots\n<domain gmail.com\nmax-smtp-out 8\n</domain>')].join('\n'),
    });
    const w = warned(h, 'config');
    expect(w).toContain('config: /etc/pmta/config:1: total-max-smtp-out "lots" is not a number: ignored');
    expect(w.some((x) => /^config: \/etc\/pmta\/config:2: /.test(x))).toBe(true);
    expect(h.facts.config?.settings.totalMaxSmtpOut).toBeUndefined();
  });

  it('cpu: a sample line of an unknown layout, nproc and CLK_TCK not numbers', () => {
    const sample = (up: number) => `${up} 100.0\ncpu  10 0 10 100 0 0 0 0 0 0\ncpu0 10 0 10 100 0 0 0 0 0 0\nSoftIRQ: ???`;
    const h = facts({ cpu: ['clk\tfast', sub('sample1', sample(10)), sub('sample2', sample(11)), 'nproc\tmany'].join('\n') });
    const w = warned(h, 'cpu');
    expect(w).toContain('cpu: /proc/uptime, /proc/stat, schedstat (sample1) line 4: unrecognised: SoftIRQ: ???');
    expect(w).toContain('cpu: nproc not understood ("many"): cores counted from /proc/stat (1)');
    expect(w).toContain('cpu: getconf CLK_TCK not understood ("fast"): 100 ticks/s assumed');
    expect(h.facts.cpu?.cores).toBe(1);
  });

  it('fd: limits without "Max open files", a log scan without a count, /proc/sys/fs/file-nr of another layout', () => {
    const h = facts({
      fd: ['pid\t4242', sub('limits', 'Limit Soft Hard Units\nMax processes 100 100 processes'), 'fdcount\t12', 'filenr\tlots', 'log\t1\t/var/log/pmta/pmta.log', sub('tail1', 'awk: syntax error', 2)].join('\n'),
    });
    const w = warned(h, 'fd');
    expect(w).toContain('fd: no "Max open files" in /proc/4242/limits');
    expect(w).toContain('fd: /proc/sys/fs/file-nr not understood: "lots"');
    expect(w).toContain('fd: /var/log/pmta/pmta.log: the log scan gave no count (exit 2): "awk: syntax error"');
    // An unread log is not a clean one: no entry claiming 0 lines.
    expect(h.facts.fd?.logs).toEqual([]);
  });

  it('ports: a sysctl value, a socket count and a /proc/net/tcp line it cannot read', () => {
    const ss = 'Total: 6\nTCP:   13 (estab 1, closed 10, orphaned 0, timewait 0)';
    const h = facts({
      ports: ['sysctl\tnet.ipv4.ip_local_port_range\t32768', 'sysctl\tnet.ipv4.tcp_fin_timeout\tsixty', sub('ss-s', ss), 'closewait\t?', 'timewait\t0'].join('\n'),
    });
    const w = warned(h, 'ports');
    expect(w).toContain('ports: sysctl net.ipv4.ip_local_port_range: not understood: "32768"');
    expect(w).toContain('ports: sysctl net.ipv4.tcp_fin_timeout: not understood: "sixty"');
    expect(w).toContain('ports: ss -tan state close-wait count not understood: "?"');
    expect(h.facts.ports?.localPorts).toBeUndefined();
    const proc = facts({ ports: sub('proc-net-tcp', '06 12\nstate count\n08 3') });
    expect(warned(proc, 'ports')).toContain('ports: /proc/net/tcp state counts line 2: unrecognised: state count');
    expect(proc.facts.ports).toMatchObject({ timeWait: 12, closeWait: 3 });
  });

  it('spool-disk: a df row, a rotational flag, an iostat value and a diskstats line it cannot read', () => {
    const h = facts({
      'spool-disk': [
        'df\t/var/spool/pmta\tdf: cannot read table of mounted file systems',
        'device\t/var/spool/pmta\t/dev/sdb\tsdb\tsdb',
        'rotational\tsdb\tmaybe',
        sub('iostat', 'Device            r/s     w/s  %util\nsdb              5.00    n/a  99.0'),
      ].join('\n'),
    });
    const w = warned(h, 'spool-disk');
    expect(w).toContain('spool-disk: df -P /var/spool/pmta: not understood: "df: cannot read table of mounted file systems"');
    expect(w).toContain('spool-disk: /sys/block/sdb/queue/rotational: not understood: "maybe"');
    expect(w).toContain('spool-disk: iostat -x: w/s of sdb is not a number: "n/a"');
    expect(h.facts.spool?.spools[0]?.rotational).toBeUndefined();
    const ds = facts({
      'spool-disk': ['device\t/s\t/dev/sdb\tsdb\tsdb', 'noiostat', sub('diskstats', '10.0 1.0\n   8      16 sdb 1 2 3\n11.0 1.0')].join('\n'),
    });
    expect(warned(ds, 'spool-disk')).toContain('spool-disk: /proc/uptime, /proc/diskstats line 2: unrecognised: 8      16 sdb 1 2 3');
  });

  it('accounting: an output line of an unknown layout is a warning naming the probe', () => {
    const h = facts({ accounting: 'V\t2\na line of a layout we do not know\n' });
    expect(warned(h, 'accounting')).toContain('accounting: unexpected output line: a line of a layout we do not know');
  });
});
