/** Numbers in evidence lines: thousands separators, fixed decimals, no locale surprises. */
export function fmt(value: number, decimals = 1): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
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
