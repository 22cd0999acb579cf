/** How busy the machine's CPUs are (from /proc/stat): a benchmark on a shared machine says so. */
import { readFileSync } from 'node:fs';

function cpuTimes() {
  // user nice system idle iowait irq softirq steal
  return readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
}

/** Starts counting; stop() returns the busy share (0..1) of all CPUs since. */
export function busyMeter() {
  const a = cpuTimes();
  return {
    stop() {
      const d = cpuTimes().map((v, i) => v - a[i]);
      const total = d.reduce((x, y) => x + y, 0);
      return total > 0 ? 1 - (d[3] + d[4]) / total : 0;
    },
  };
}

/** Busy share over the next `ms` milliseconds. */
export async function busyOver(ms) {
  const meter = busyMeter();
  await new Promise((r) => setTimeout(r, ms));
  return meter.stop();
}

export function percent(share) {
  return `${(share * 100).toFixed(0)} %`;
}
