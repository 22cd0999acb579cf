/** Debian's headless chromium, run the way the HTML report tests need it (no network, own profile). */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

function args(profileDir: string): string[] {
  return [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage', `--user-data-dir=${join(profileDir, 'chromium-profile')}`,
  ];
}

/** The DOM chromium built from the file, serialized (what a browser made of the page). */
export async function dumpDom(file: string, workDir: string): Promise<string> {
  const { stdout } = await run(CHROMIUM, [...args(workDir), '--dump-dom', `file://${file}`], { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export async function screenshot(file: string, png: string, workDir: string, size = '1200,2400'): Promise<void> {
  await run(CHROMIUM, [...args(workDir), `--screenshot=${png}`, `--window-size=${size}`, `file://${file}`], { timeout: 90_000 });
}
