import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detachStrings } from '../../../src/audit/detach.js';

describe('detachStrings', () => {
  it('returns an equal deep copy with the same key order, leaving the input alone', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const before = JSON.stringify(value);
        const copy = detachStrings(value);
        expect(copy).toEqual(value);
        expect(JSON.stringify(copy)).toBe(before);
        expect(JSON.stringify(value)).toBe(before);
      }),
      { numRuns: 300 },
    );
  });

  it('copies plain objects and arrays, keeps other values (NaN, undefined, class instances) as they are', () => {
    const when = new Date(0);
    const output = 'x'.repeat(1000) + '\n2026-11-27 13:32:37+0000\n';
    const facts = { until: output.split('\n')[1], list: [{ rate: Number.NaN, gone: undefined }], when, pid: null };
    const copy = detachStrings(facts);
    expect(copy).not.toBe(facts);
    expect(copy.list).not.toBe(facts.list);
    expect(copy.list[0]).not.toBe(facts.list[0]);
    expect(copy.when).toBe(when);
    expect(copy.until).toBe('2026-11-27 13:32:37+0000');
    expect(Number.isNaN(copy.list[0]!.rate)).toBe(true);
    expect('gone' in copy.list[0]!).toBe(true);
  });

  it('keeps a key named __proto__ as data', () => {
    const parsed = JSON.parse('{"byDomain":{"__proto__":{"delivered":1}}}') as { byDomain: Record<string, unknown> };
    const copy = detachStrings(parsed);
    expect(Object.keys(copy.byDomain)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(copy.byDomain)).toBe(Object.prototype);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(parsed));
  });
});
