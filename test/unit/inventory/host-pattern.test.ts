import { describe, expect, it } from 'vitest';
import { expandHostEntry } from '../../../src/inventory/host-pattern.js';

describe('expandHostEntry (Ansible host ranges and host:port)', () => {
  it.each<[string, string[], number | undefined]>([
    ['mta01', ['mta01'], undefined],
    ['mta01.example.net:2222', ['mta01.example.net'], 2222],
    ['mta[01:03].example.net', ['mta01.example.net', 'mta02.example.net', 'mta03.example.net'], undefined],
    ['mta[1:3]', ['mta1', 'mta2', 'mta3'], undefined],
    ['mta[0:6:3]', ['mta0', 'mta3', 'mta6'], undefined],
    ['db-[a:c]', ['db-a', 'db-b', 'db-c'], undefined],
    ['r[1:2]h[a:b]', ['r1ha', 'r1hb', 'r2ha', 'r2hb'], undefined],
    ['2001:db8::1', ['2001:db8::1'], undefined],
  ])('%s', (entry, names, port) => {
    expect(expandHostEntry(entry)).toEqual({ names, port });
  });

  it.each([
    ['mta[3:1]', 'starts after it ends'],
    ['mta[01:3]', 'same number of digits'],
    ['mta[1]', 'must look like'],
    ['mta[1:]', 'has no end'],
    ['mta[a:3]', 'numbers or single letters'],
  ])('rejects %s', (entry, message) => {
    expect(() => expandHostEntry(entry)).toThrow(message);
  });
});
