import { describe, expect, it } from 'vitest';
import { sysctlStep, parseFileListing } from '../../../src/steps/sysctl.js';
import { applyOrder, parseAssignments, setAssignment } from '../../../src/steps/sysctl/files.js';
import { checkPlan, loadFixtures } from './plan-fixtures.js';

describe('sysctl plan (recorded observations)', () => {
  for (const fx of loadFixtures('sysctl')) {
    it(`${fx.file}: ${fx.name}`, () => {
      checkPlan(sysctlStep, fx);
    });
  }

  it('applying the planned changes yields a converged plan', () => {
    const fx = loadFixtures('sysctl').find((f) => f.file === 'overridden-by-later-dropin.json')!;
    const params = sysctlStep.params.parse(fx.params);
    const plan = sysctlStep.plan(fx.state as never, params);
    if (plan.kind !== 'changes') throw new Error('expected changes');
    const state = structuredClone(fx.state) as any;
    for (const c of plan.changes) {
      if (c.diff.type === 'file') state['sysctl config files'][c.diff.path] = c.diff.after;
      else if (c.diff.type === 'value') state[`sysctl ${c.diff.name}`].value = c.diff.after;
    }
    expect(sysctlStep.plan(state, params).kind).toBe('noop');
  });
});

describe('sysctl files', () => {
  it('orders by basename across dirs, /etc masks same name, /etc/sysctl.conf last', () => {
    expect(
      applyOrder([
        '/etc/sysctl.conf',
        '/usr/lib/sysctl.d/99-protect-links.conf',
        '/usr/lib/sysctl.d/50-pid-max.conf',
        '/etc/sysctl.d/50-pid-max.conf',
        '/run/sysctl.d/60-run.conf',
        '/lib/sysctl.d/50-pid-max.conf',
      ]),
    ).toEqual(['/etc/sysctl.d/50-pid-max.conf', '/run/sysctl.d/60-run.conf', '/usr/lib/sysctl.d/99-protect-links.conf', '/etc/sysctl.conf']);
  });

  it('parses keys with slashes, "-" prefixes and comments', () => {
    expect(parseAssignments('# c\n; c\n-net/ipv4/tcp_fin_timeout=\t15 \nnet.core.somaxconn = 1024\n')).toEqual([
      { key: 'net.ipv4.tcp_fin_timeout', value: '15', line: 3 },
      { key: 'net.core.somaxconn', value: '1024', line: 4 },
    ]);
  });

  it('setAssignment keeps unrelated lines and appends when missing', () => {
    expect(setAssignment('a.b = 1\n# x\n', 'c.d', '2')).toBe('a.b = 1\n# x\nc.d = 2\n');
    expect(setAssignment('a.b = 1', 'c.d', '2')).toBe('a.b = 1\nc.d = 2\n');
    expect(setAssignment('  a.b\t=\t1\n', 'a.b', '3')).toBe('  a.b\t=\t3\n');
  });

  it('parses the remote listing (base64 + path, unreadable marked "!")', () => {
    const enc = Buffer.from('net.core.somaxconn = 1\nvm.x = 2\n').toString('base64');
    const files = parseFileListing(`${enc} /etc/sysctl.d/a b.conf\n! /etc/sysctl.d/secret.conf\n /etc/sysctl.d/empty.conf\n`);
    expect(files).toEqual({
      '/etc/sysctl.d/a b.conf': 'net.core.somaxconn = 1\nvm.x = 2\n',
      '/etc/sysctl.d/secret.conf': null,
      '/etc/sysctl.d/empty.conf': '',
    });
  });
});

describe('sysctl params', () => {
  const bad = [
    { name: 'net/ipv4/x', value: '1' },
    { name: 'net..ipv4', value: '1' },
    { name: 'net.ipv4.x;rm -rf /', value: '1' },
    { name: 'Net.ipv4.x', value: '1' },
    { name: 'net.ipv4.x', value: '1\nkernel.panic=1' },
    { name: 'net.ipv4.x', value: 'a\0b' },
    { name: 'net.ipv4.x', value: '1', file: '/etc/sysctl.d/../passwd' },
    { name: 'net.ipv4.x', value: '1', file: '/tmp/x.conf' },
    { values: { 'a.b\n': '1' } },
    { values: {} },
  ];
  for (const p of bad) it(`rejects ${JSON.stringify(p)}`, () => expect(sysctlStep.params.safeParse(p).success).toBe(false));
  it('accepts the article values', () => {
    expect(sysctlStep.params.safeParse({ name: 'net.ipv4.ip_local_port_range', value: '10240 65535' }).success).toBe(true);
  });
});

describe('sysctl observe on this machine (read-only)', () => {
  it('reads the runtime value and the persisted files', async () => {
    const { localHost } = await import('./local-host.js');
    const { execFileSync } = await import('node:child_process');
    const params = sysctlStep.params.parse({ name: 'net.ipv4.ip_local_port_range', value: '10240 65535' });
    const state = await sysctlStep.observe(localHost(), params, { become: false });
    const runtime = execFileSync('sysctl', ['-n', 'net.ipv4.ip_local_port_range'], { encoding: 'utf8' }).trim().split(/\s+/).join(' ');
    expect(state['sysctl net.ipv4.ip_local_port_range']).toEqual({ value: runtime, error: null });
    const { readdirSync, existsSync } = await import('node:fs');
    const expected = ['/etc/sysctl.d', '/usr/lib/sysctl.d']
      .filter((d) => existsSync(d))
      .flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.conf')).map((f) => `${d}/${f}`));
    for (const p of expected) expect(Object.keys(state['sysctl config files'])).toContain(p);
    expect(sysctlStep.plan(state, params).kind).not.toBe('refused');
  });
});
