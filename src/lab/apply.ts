import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dirname } from 'node:path/posix';
import { quote } from '../transport/quote.js';
import { runInHost } from './hostexec.js';
import { sleep } from './proc.js';
import type { ScenarioSetup } from './scenarios.js';

/** Applies a host's ScenarioSetup inside its namespaces and starts the simulated pmta. */

/** Shell text writing each file (parent dirs made) and setting each sysctl. Pure. */
export function renderApplyScript(setup: Pick<ScenarioSetup, 'files' | 'sysctls'>): string {
  const lines = ['set -e'];
  for (const [path, content] of Object.entries(setup.files)) {
    if (!path.startsWith('/')) throw new Error(`scenario file path must be absolute, got "${path}"`);
    lines.push(`mkdir -p ${quote(dirname(path))}`, `printf '%s' ${quote(content)} > ${quote(path)}`);
  }
  for (const [key, value] of Object.entries(setup.sysctls)) {
    lines.push(`sysctl -q -w ${quote(`${key}=${value}`)}`);
  }
  return lines.join('\n') + '\n';
}

export async function applyScenarioFiles(host: string, sshdPid: number, setup: ScenarioSetup): Promise<void> {
  const r = await runInHost(sshdPid, 'sh -s', { stdin: renderApplyScript(setup) });
  if (r.exitCode !== 0) throw new Error(`${host}: writing scenario files/sysctls failed: ${r.stderr.trim()}`);
}

/** True when the simulator's commands are present (they are written by another part of the project). */
export function simulatorPresent(assets: string): boolean {
  return existsSync(join(assets, 'bin', 'pmta')) && existsSync(join(assets, 'bin', 'systemctl'));
}

/** `systemctl start pmta`, then waits until `pmta show status` answers (generous: a 50-host lab starts many simulators at once on 2 cores). */
export async function startPmta(host: string, sshdPid: number, timeoutMs = 120_000): Promise<void> {
  const start = await runInHost(sshdPid, 'systemctl start pmta', { timeoutMs });
  if (start.exitCode !== 0) {
    throw new Error(`${host}: systemctl start pmta failed (exit ${start.exitCode}): ${(start.stderr || start.stdout).trim()}\n/var/log/pmta/pmta.log ends:\n${await logTail(sshdPid)}`);
  }
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const status = await runInHost(sshdPid, 'pmta show status', { timeoutMs: 5000 });
    if (status.exitCode === 0) return;
    last = (status.stderr || status.stdout).trim();
    await sleep(200);
  }
  throw new Error(`${host}: pmta did not answer "pmta show status" within ${timeoutMs / 1000}s (${last}); /var/log/pmta/pmta.log ends:\n${await logTail(sshdPid)}`);
}

async function logTail(sshdPid: number): Promise<string> {
  const r = await runInHost(sshdPid, 'tail -n 20 /var/log/pmta/pmta.log 2>&1', { timeoutMs: 5000 });
  return r.stdout.trim() || '(empty log)';
}
