/**
 * Rolling batches (Ansible `serial`) and the stop rule (`max_fail_percentage`).
 */
import type { SerialRule } from '../playbook/types.js';

/**
 * Batch sizes for `total` hosts. No rule: one batch. A percentage is of the play's hosts,
 * rounded down, at least 1. Rules apply in turn; the last one repeats until every host is in
 * a batch; the last batch may be smaller.
 */
export function batchSizes(rules: SerialRule[], total: number): number[] {
  if (total <= 0) return [];
  if (rules.length === 0) return [total];
  const sizes: number[] = [];
  let left = total;
  let i = 0;
  while (left > 0) {
    const rule = rules[Math.min(i, rules.length - 1)];
    const raw = 'count' in rule ? rule.count : Math.floor((total * rule.percent) / 100);
    const size = Math.min(left, Math.max(1, raw));
    sizes.push(size);
    left -= size;
    i++;
  }
  return sizes;
}

export function splitBatches<T>(items: T[], rules: SerialRule[]): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (const size of batchSizes(rules, items.length)) {
    out.push(items.slice(at, at + size));
    at += size;
  }
  return out;
}

/**
 * Stop before the next batch? With max_fail_percentage M: stop when the failed share of the
 * batch is strictly greater than M percent (computed in integers: failed*100 > M*size, so 99 %
 * stops only when the whole batch failed, and 0 stops on any failure). Without it, as Ansible:
 * stop only when every host of the batch failed.
 */
export function shouldStop(failed: number, batchSize: number, maxFailPercentage?: number): boolean {
  if (batchSize <= 0) return false;
  if (maxFailPercentage === undefined) return failed >= batchSize;
  return failed * 100 > maxFailPercentage * batchSize;
}
