/** `mtafleet history` through the CLI entry (in-process): bad input exits 1; an empty store prints an empty history. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { capturedOutput, restoreCapture } from '../../helpers/capture-output.js';

const dir = mkdtempSync(join(tmpdir(), 'mtaf-hist-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mtafleet history (CLI)', () => {
  const io = capturedOutput();
  const capture = (): void => io.start();
  afterEach(restoreCapture);
  const db = join(dir, 'h.sqlite');

  it.each([
    [['--since', '3x'], /--since.*expected an age/],
    [['--format', 'pdf'], /--format/],
    [['--db', 'mysql://root:hunter2@db/x'], /mysql:\/\/\*\*\*:\*\*\*@db\/x: not a postgres/],
  ])('refuses %j with exit 1', async (args, message) => {
    capture();
    expect(await main(['node', 'mtafleet', 'history', '--db', db, ...args])).toBe(1);
    expect(io.err).toMatch(message);
    expect(io.err).not.toContain('hunter2');
    expect(io.out).toBe('');
  });

  it('an empty store: an empty history, JSON with every member', async () => {
    capture();
    expect(await main(['node', 'mtafleet', 'history', '--db', db, '--format', 'json', '--since', '2026-12-01'])).toBe(0);
    expect(JSON.parse(io.out)).toEqual({ since: '2026-12-01T00:00:00.000Z', until: expect.any(String), limit: null, store: 'sqlite', fleet: [], hosts: [], findings: [], pointsOmitted: false });
  });

  it('an empty store as HTML: a page that says there is no audit, no host section', async () => {
    capture();
    expect(await main(['node', 'mtafleet', 'history', '--db', db, '--format', 'html', '--since', '2026-12-01'])).toBe(0);
    expect(io.out).toMatch(/^<!DOCTYPE html>\n/);
    expect(io.out).toContain('No audit in the period.');
    expect(io.out).not.toContain('<section class="host');
  });
});
