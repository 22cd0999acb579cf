/** Messages for host output cut at the cap (mtafleet_max_output); names host and command. */
import { formatBytes } from './capped.js';

export function truncatedMessage(host: string, what: string, discarded: { stdout: number; stderr: number }, limit: number): string {
  const streams = (['stdout', 'stderr'] as const).filter((s) => discarded[s] > 0);
  const dropped = streams.map((s) => `${formatBytes(discarded[s])} of ${s}`).join(' and ');
  return `${host}: ${what} printed more than ${formatBytes(limit)} on ${streams.join(' and ')} (mtafleet_max_output); ${dropped} over the limit`;
}

/** Warnings go to stderr: in JSON mode stdout carries only JSON (DESIGN.md). */
export function warn(message: string): void {
  process.stderr.write(`mtafleet: warning: ${message}\n`);
}
