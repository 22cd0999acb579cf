/** Recorded probe batches (bench/fixtures/probe-batch-*.json) and their probe-version stamp. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchRoot, dist } from './paths.mjs';

export const fixturesDir = join(benchRoot, 'fixtures');

/** A hash of the probe batch text (fixed nonce): changes whenever a probe's command does. */
export async function currentProbeStamp() {
  const { ALL_PROBES, buildProbeScript } = await import(dist('probes/index.js'));
  return createHash('sha256').update(buildProbeScript(ALL_PROBES, { nonce: 'stamp' }).text).digest('hex').slice(0, 16);
}

export function fixtureFiles() {
  return readdirSync(fixturesDir).filter((f) => /^probe-batch-.*\.json$/.test(f)).sort().map((f) => join(fixturesDir, f));
}

/** A note when the captures were made with other probe commands than the built ones. */
export async function staleFixturesNote(files) {
  const now = await currentProbeStamp();
  const stale = files.filter((f) => JSON.parse(readFileSync(f, 'utf8')).probeBatch !== now);
  return stale.length === 0 ? null : `${stale.length} of ${files.length} recorded probe batches come from other probe commands than the built ones: re-record them with node bench/capture-fixtures.mjs`;
}
