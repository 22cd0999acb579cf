/** Figures of repeated runs and their comparison against a baseline measured in the same run. */

/** min / median / max of samples (the median of an even count is the mean of the middle two). */
export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { samples: [], min: null, median: null, max: null };
  const median = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { samples: [...samples], min: sorted[0], median, max: sorted[n - 1] };
}

/** A named series of samples in one unit. */
export function measure(label, unit, samples) {
  return { label, unit, ...summarize(samples) };
}

/**
 * measured / baseline (medians) against a target ratio; lower is better for every figure we
 * compare. pass is null when either side is missing (a figure that could not be measured).
 */
export function compare(label, measured, baseline, target) {
  const ok = typeof measured === 'number' && typeof baseline === 'number' && baseline > 0;
  const ratio = ok ? measured / baseline : null;
  return { label, measured: measured ?? null, baseline: baseline ?? null, ratio, target, pass: ratio === null ? null : ratio <= target };
}

/** An absolute target (e.g. 15 s wall for 1000 hosts): the "baseline" is the limit itself. */
export function limit(label, measured, max, unit) {
  const ok = typeof measured === 'number';
  return { label, measured: ok ? measured : null, baseline: max, unit, ratio: ok && max > 0 ? measured / max : null, target: 1, pass: ok ? measured <= max : null };
}
