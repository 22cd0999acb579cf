/** Helpers for running the PowerMTA simulator in a temp root (PMTA_SIM_ROOT) outside a lab. */
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const BIN = path.resolve(import.meta.dirname, '../../../src/lab/assets/bin');

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export function run(root: string, cmd: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(path.join(BIN, cmd), args, { env: { ...process.env, PMTA_SIM_ROOT: root, ...env }, timeout: 40_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ stdout, stderr, code });
    });
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export function labConfig(port: number, extra = ''): string {
  return `http-mgmt-port ${port}
http-access 127.0.0.1 monitor
log-file /var/log/pmta/pmta.log
<acct-file /var/log/pmta/acct.csv>
    records d,b,t
</acct-file>
<spool /var/spool/pmta>
    deliver-only no
</spool>
<virtual-mta vmta1>
    smtp-source-host 203.0.113.1 mta1.example.com
</virtual-mta>
<virtual-mta vmta2>
    smtp-source-host 203.0.113.2 mta2.example.com
</virtual-mta>
${extra}<virtual-mta-pool default>
    virtual-mta vmta1
    virtual-mta vmta2
</virtual-mta-pool>
<domain gmail.com>
    max-smtp-out 8
</domain>
<domain hold.test>
    max-smtp-out 2
</domain>
`;
}

/** A fresh root with config, world (fast remote, no inbound) and an empty spool. */
export function makeRoot(port: number, world: Record<string, unknown> = {}): string {
  const root = mkdtempSync(path.join(tmpdir(), 'mtaf-sim-'));
  for (const d of ['etc/pmta', 'etc/pmta-sim', 'var/spool/pmta', 'var/log/pmta']) mkdirSync(path.join(root, d), { recursive: true });
  writeFileSync(path.join(root, 'etc/pmta/config'), labConfig(port));
  const w = {
    inbound: { perMinute: 0 },
    hourlyVolume: Array(24).fill(20),
    retrySeconds: 1,
    isps: { '*': { secondsPerMsg: 0.2, deferRate: 0.2, bounceRate: 0.2 } },
    ...world,
  };
  writeFileSync(path.join(root, 'etc/pmta-sim/world.json'), JSON.stringify(w));
  return root;
}

export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
