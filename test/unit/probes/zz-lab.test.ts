import { test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { startLab, type LabHandle } from '../../helpers/lab.js';
import { runInHost } from '../../../src/lab/hostexec.js';
import { runProbes } from '../../../src/probes/index.js';
import { diagnose } from '../../../src/diagnose/index.js';
import type { HostConnection } from '../../../src/transport/types.js';

test('lab', async () => {
  let lab: LabHandle | undefined;
  try {
    lab = await startLab({ name: 'prb', hosts: 7, scenarios: ['healthy', 'spool-io', 'fd-limit', 'port-exhaustion', 'thread-contention', 'isp-limit', 'ip-reputation'] });
    await new Promise((r) => setTimeout(r, 70_000));
    const out: unknown[] = [];
    for (const h of lab.hosts) {
      const conn: HostConnection = {
        name: h.name,
        exec: async (cmd, o) => {
          const r = await runInHost(h.sshdPid, cmd.text, { timeoutMs: o?.timeoutMs ?? 120_000 });
          return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? null, signal: null, durationMs: 0 };
        },
        readFile: async () => null,
        writeFileAtomic: async () => undefined,
        close: async () => undefined,
      };
      const t0 = Date.now();
      const facts = await runProbes(conn);
      const ms = Date.now() - t0;
      const findings = diagnose(facts, { hostVars: { lab_nvme_device: h.nvmeDevice } });
      out.push({ host: h.name, scenario: h.scenario, ms, unavailable: facts.unavailable, warnings: facts.warnings, findings, facts: { ...facts.facts, config: undefined } });
      console.log(h.scenario, ms, findings.map((f) => `${f.kind}:${f.severity}:${f.strength.toFixed(2)}`).join(' '), JSON.stringify(facts.unavailable));
    }
    writeFileSync('/tmp/mtaf-probes-lab.json', JSON.stringify(out, null, 1));
  } finally {
    await lab?.down();
  }
}, 400_000);
