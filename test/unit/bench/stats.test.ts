/** The figures every benchmark reports: medians, ratios, verdicts. */
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs module without type declarations
import { compare, limit, summarize } from '../../../bench/lib/stats.mjs';

describe('bench stats', () => {
  it('takes min, median and max of odd and even sample counts', () => {
    expect(summarize([3, 1, 2])).toMatchObject({ min: 1, median: 2, max: 3 });
    expect(summarize([4, 1, 3, 2])).toMatchObject({ min: 1, median: 2.5, max: 4 });
    expect(summarize([])).toMatchObject({ min: null, median: null, max: null });
  });

  it('passes a ratio at or under its target and misses above it', () => {
    expect(compare('x', 2, 1, 2)).toMatchObject({ ratio: 2, pass: true });
    expect(compare('x', 2.1, 1, 2)).toMatchObject({ pass: false });
    expect(compare('x', null, 1, 2)).toMatchObject({ ratio: null, pass: null });
    expect(limit('rss', 301, 300, 'MB')).toMatchObject({ pass: false });
    expect(limit('rss', 120, 300, 'MB')).toMatchObject({ pass: true, ratio: 0.4 });
  });
});
