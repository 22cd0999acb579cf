import { describe, expect, it } from 'vitest';
import { describeDrift } from '../../../src/engine/drift.js';
import { fingerprint } from '../../../src/engine/canonical.js';

const file = (sha: string, extra: Record<string, unknown> = {}) => ({ exists: true, sha256: sha, mode: '644', owner: 'root', group: 'root', content: 'x', ...extra });

describe('describeDrift', () => {
  it('names a changed file by its hash, without dumping content', () => {
    const a = { 'file /etc/sysctl.d/90-mtafleet.conf': file('ab12cd34'.repeat(8)) };
    const b = { 'file /etc/sysctl.d/90-mtafleet.conf': file('9f8e7d6c'.repeat(8), { content: 'y' }) };
    expect(describeDrift(a, b)).toEqual(['file /etc/sysctl.d/90-mtafleet.conf changed (sha256 ab12cd34 -> 9f8e7d6c)']);
  });

  it('names a value change, mode change, appearance and disappearance', () => {
    expect(describeDrift({ 'sysctl net.ipv4.tcp_fin_timeout': { value: '60' } }, { 'sysctl net.ipv4.tcp_fin_timeout': { value: '30' } })).toEqual([
      'sysctl net.ipv4.tcp_fin_timeout: 60 -> 30',
    ]);
    expect(describeDrift({ 'file /a': file('1'.repeat(64)) }, { 'file /a': file('1'.repeat(64), { mode: '600' }) })).toEqual(['file /a changed (mode 644 -> 600)']);
    expect(describeDrift({ 'file /a': { exists: false } }, { 'file /a': file('1') })).toEqual(['file /a appeared']);
    expect(describeDrift({ 'file /a': file('1') }, { 'file /a': { exists: false } })).toEqual(['file /a disappeared']);
    expect(describeDrift({ 'mount /var/spool': 'sdb1' }, { 'mount /var/spool': 'sdc1' })).toEqual(['mount /var/spool: sdb1 -> sdc1']);
  });

  it('names changed text inside a record by hash (sysctl config files)', () => {
    const a = { 'sysctl config files': { '/etc/sysctl.d/90-mtafleet.conf': 'net.ipv4.tcp_fin_timeout = 60\n', '/etc/sysctl.conf': null } };
    const b = { 'sysctl config files': { '/etc/sysctl.d/90-mtafleet.conf': 'net.ipv4.tcp_fin_timeout = 30\n', '/etc/sysctl.conf': null } };
    expect(describeDrift(a, b)).toEqual([expect.stringMatching(/^sysctl config files changed \(\/etc\/sysctl\.d\/90-mtafleet\.conf sha256 [0-9a-f]{8} -> sha256 [0-9a-f]{8}\)$/)]);
    const c = { 'sysctl config files': { '/etc/sysctl.d/90-mtafleet.conf': null, '/etc/sysctl.conf': null } };
    expect(describeDrift(a, c)[0]).toMatch(/90-mtafleet\.conf sha256 [0-9a-f]{8} -> \(absent\)/);
  });

  it('is empty exactly when the fingerprints match', () => {
    const a = { 'file /a': file('1'), 'sysctl k': { value: '1' } };
    const b = { 'sysctl k': { value: '1' }, 'file /a': file('1') };
    expect(describeDrift(a, b)).toEqual([]);
    expect(fingerprint(a)).toBe(fingerprint(b));
    const c = { ...b, 'sysctl k': { value: '2' } };
    expect(fingerprint(a)).not.toBe(fingerprint(c));
    expect(describeDrift(a, c)).toHaveLength(1);
  });
});
