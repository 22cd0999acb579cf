import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { batchSizes, shouldStop, splitBatches } from '../../../src/engine/batches.js';
import { serialRules } from '../../../src/playbook/load.js';

describe('batchSizes (serial)', () => {
  it.each([
    [undefined, 5, [5]],
    [2, 5, [2, 2, 1]],
    ['2', 5, [2, 2, 1]],
    ['30%', 10, [3, 3, 3, 1]],
    ['10%', 5, [1, 1, 1, 1, 1]],
    ['100%', 7, [7]],
    [[1, 5, 10], 20, [1, 5, 10, 4]],
    [[1, '50%'], 10, [1, 5, 4]],
    [[1, 2], 8, [1, 2, 2, 2, 1]],
    [3, 0, []],
  ])('serial %j over %i hosts -> %j', (serial, total, sizes) => {
    expect(batchSizes(serialRules(serial as never), total)).toEqual(sizes);
  });

  it('always covers every host exactly once, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 100 }).map((p) => `${p}%`)), { maxLength: 4 }),
        fc.integer({ min: 0, max: 200 }),
        (serial, total) => {
          const items = Array.from({ length: total }, (_, i) => i);
          const batches = splitBatches(items, serialRules(serial));
          expect(batches.flat()).toEqual(items);
          expect(batches.every((b) => b.length >= 1)).toBe(true);
        },
      ),
    );
  });
});

describe('shouldStop (max_fail_percentage)', () => {
  it.each([
    // failed, batch, max, stop?
    [0, 10, 0, false],
    [1, 10, 0, true], // 0 % -> any failure stops
    [1, 100, 0, true],
    [99, 100, 99, false], // exactly 99 % is not more than 99 %
    [100, 100, 99, true], // a whole batch failing exceeds 99 %
    [1, 1, 99, true],
    [2, 2, 99, true],
    [1, 2, 50, false],
    [2, 3, 50, true],
    [1, 10, 10, false],
    [2, 10, 10, true],
    [3, 3, 100, false], // 100 % never stops
    [3, 3, undefined, true], // without it: stop only when the whole batch failed (Ansible)
    [2, 3, undefined, false],
  ])('%i of %i failed, max %s -> stop %s', (failed, size, max, stop) => {
    expect(shouldStop(failed, size, max as number | undefined)).toBe(stop);
  });
});
