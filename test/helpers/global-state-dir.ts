/**
 * vitest globalSetup: commands that tests run without --state-dir would write run history and
 * accounting cursors into the user's own state dir (~/.local/state/mtafleet). Give the whole
 * test run a temporary one instead (inherited by the workers and the CLIs they spawn), and
 * remove it afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'mtafleet-test-state-'));
  process.env.MTAFLEET_STATE_DIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
