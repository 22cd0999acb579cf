import { describe, expect, it } from 'vitest';
import { bridgeName, hostAddress, hostName, netnsName, pickSubnet, scenarioForHost, subnetIndexOf, subnetPrefix, validateHostCount, validateLabName, vethName } from '../../../src/lab/names.js';
import { InputError } from '../../../src/util/errors.js';

describe('lab names', () => {
  it('accepts 1-6 chars of a-z0-9 and refuses the rest', () => {
    expect(validateLabName('lab')).toBe('lab');
    expect(validateLabName('abc123')).toBe('abc123');
    for (const bad of ['', 'toolong7', 'Lab', 'a-b', 'a b']) expect(() => validateLabName(bad)).toThrow(InputError);
  });

  it('keeps interface names within 15 characters for the longest name and host number', () => {
    for (const n of [1, 99, 200]) {
      expect(vethName('abcdef', n).length).toBeLessThanOrEqual(15);
      expect(netnsName('abcdef', n)).toBe(vethName('abcdef', n));
    }
    expect(bridgeName('abcdef')).toBe('mtafbr-abcdef');
    expect(hostName(1)).toBe('mta01');
    expect(hostName(120)).toBe('mta120');
    expect(netnsName('t1', 1)).toBe('mtaf-t1-01');
  });

  it('maps subnet numbers onto 198.18.0.0/15 and back', () => {
    expect(subnetPrefix(0)).toBe('198.18.0');
    expect(subnetPrefix(255)).toBe('198.18.255');
    expect(subnetPrefix(256)).toBe('198.19.0');
    expect(subnetPrefix(511)).toBe('198.19.255');
    for (const k of [0, 7, 256, 511]) expect(subnetIndexOf(hostAddress(subnetPrefix(k), 3))).toBe(k);
    expect(subnetIndexOf('10.0.0.1')).toBeNull();
    expect(hostAddress('198.18.4', 1)).toBe('198.18.4.11');
  });

  it('picks a stable subnet per name and skips those in use', () => {
    const first = pickSubnet('lab', new Set());
    expect(pickSubnet('lab', new Set())).toBe(first);
    const second = pickSubnet('lab', new Set([first]));
    expect(second).not.toBe(first);
    expect(pickSubnet('lab', new Set(Array.from({ length: 512 }, (_, k) => k).filter((k) => k !== 42)))).toBe(42);
    expect(() => pickSubnet('lab', new Set(Array.from({ length: 512 }, (_, k) => k)))).toThrow(InputError);
  });

  it('gives host i the i-th scenario and repeats the last', () => {
    const s = ['a', 'b'];
    expect([1, 2, 3, 4].map((i) => scenarioForHost(s, i, 'healthy'))).toEqual(['a', 'b', 'b', 'b']);
    expect(scenarioForHost([], 1, 'healthy')).toBe('healthy');
  });

  it('bounds the host count', () => {
    expect(validateHostCount(50)).toBe(50);
    for (const bad of [0, -1, 1.5, 201]) expect(() => validateHostCount(bad)).toThrow(InputError);
  });
});
