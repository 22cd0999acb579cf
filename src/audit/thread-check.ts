/**
 * A follow-up after the probe batch, only for hosts whose diagnosis recommends the thread
 * directives: does this host's PowerMTA accept them? Read-only: `pmta test config` on a copy of
 * the config with the lines added, in a private mount namespace (src/pmta/test-config.ts).
 * Run after the batch, not in it, so it never competes with the CPU samplers.
 */
import { threadContention, threadRemedyDirectives } from '../diagnose/system.js';
import { parseTryConfig, tryAppendCommand } from '../pmta/test-config.js';
import type { HostConnection } from '../transport/types.js';
import type { HostFacts } from './types.js';

export async function checkThreadDirectives(conn: HostConnection, host: HostFacts): Promise<void> {
  const facts = host.facts;
  if (!facts.cpu || threadContention(facts).length === 0) return;
  const file = facts.config?.file ?? '/etc/pmta/config';
  const directives = threadRemedyDirectives(facts.cpu.cores);
  const { command, stdin } = tryAppendCommand(file, directives);
  try {
    const r = await conn.exec(command, { stdin, timeoutMs: 60_000, partialOutput: true, label: 'pmta test config on a copy' });
    facts.configTest = { file, directives, ...parseTryConfig(r.stdout, r.exitCode, r.stderr) };
  } catch (err) {
    facts.configTest = { file, directives, verdict: 'unchecked', output: `the test did not run: ${(err as Error).message}` };
  }
}
