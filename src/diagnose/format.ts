/**
 * One formatter per decimal count, built on first use: toLocaleString with options builds a
 * new Intl.NumberFormat on every call, which cost ~3 ms per audited host.
 */
const formatters = new Map<number, Intl.NumberFormat>();

/** Numbers in evidence lines: thousands separators, fixed decimals, no locale surprises. */
export function fmt(value: number, decimals = 1): string {
  let formatter = formatters.get(decimals);
  if (!formatter) {
    formatter = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    formatters.set(decimals, formatter);
  }
  return formatter.format(value);
}

/** A 0..1 ratio as "12.3 %". */
export function pct(ratio: number): string {
  return `${fmt(ratio * 100)} %`;
}

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
