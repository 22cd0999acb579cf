import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fmt, pct } from '../../../src/diagnose/format.js';

describe('fmt', () => {
  it('prints what toLocaleString en-US prints, for any number and decimal count', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer()), fc.integer({ min: 0, max: 4 }), (value, decimals) => {
        const expected = value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
        expect(fmt(value, decimals)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('uses one decimal by default, thousands separators, and rounds', () => {
    expect(fmt(1234567.891)).toBe('1,234,567.9');
    expect(fmt(1234567.891, 0)).toBe('1,234,568');
    expect(fmt(0.5, 2)).toBe('0.50');
    expect(pct(0.1234)).toBe('12.3 %');
  });
});
