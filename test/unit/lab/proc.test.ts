import { describe, expect, it } from 'vitest';
import { mapLimit } from '../../../src/lab/proc.js';

describe('mapLimit', () => {
  it('keeps order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n * 3));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('starts nothing new after a failure and throws the first error once the rest settle', async () => {
    const started: number[] = [];
    const settled: number[] = [];
    const run = mapLimit([1, 2, 3, 4, 5, 6], 2, async (n) => {
      started.push(n);
      await new Promise((r) => setTimeout(r, n === 1 ? 1 : 20));
      if (n === 1) throw new Error('boom 1');
      settled.push(n);
      return n;
    });
    await expect(run).rejects.toThrow('boom 1');
    expect(started).toEqual([1, 2]);
    expect(settled).toEqual([2]);
  });
});
