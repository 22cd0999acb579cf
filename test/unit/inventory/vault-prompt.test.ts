/**
 * `--ask-vault-pass` on a real terminal (a pseudo-terminal from util-linux `script`): the prompt
 * goes to the terminal, the typed password is not echoed, and the vault opens. Skipped, and
 * says so, without /usr/bin/script.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptVault } from '../../../src/inventory/vault.js';
import { buildOnce, ROOT } from '../../helpers/cli.js';

const SCRIPT = '/usr/bin/script';
const haveScript = existsSync(SCRIPT);
if (!haveScript) console.log(`vault-prompt: skipped, no ${SCRIPT} (package bsdutils)`);

const PASSWORD = 'Typed-Vault-Pw-93';
let dir: string;

beforeAll(() => {
  if (!haveScript) return;
  buildOnce();
  dir = mkdtempSync(join(tmpdir(), 'mtaf-vault-prompt-'));
  writeFileSync(join(dir, 'hosts.yml'), encryptVault('all:\n  hosts:\n    typed01:\n      secret_note: inside\n', PASSWORD));
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI on a pseudo-terminal, typing `typed` once the prompt shows. */
function onTerminal(args: string[], typed: string): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, join(ROOT, 'bin/mtafleet.js'), ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((done) => {
    const child = spawn(SCRIPT, ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let sent = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (!sent && output.includes('Vault password: ')) {
        sent = true;
        child.stdin.write(`${typed}\r`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

describe.skipIf(!haveScript)('--ask-vault-pass on a terminal', () => {
  it('prompts, does not echo the password, and opens the vault', async () => {
    const r = await onTerminal(['inventory', '-i', join(dir, 'hosts.yml'), '--graph', '--ask-vault-pass'], PASSWORD);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('Vault password: ');
    expect(r.output).toContain('typed01');
    expect(r.output).not.toContain(PASSWORD);
  });

  it('a mistyped password: exit 1, HMAC mismatch, not echoed either', async () => {
    const r = await onTerminal(['inventory', '-i', join(dir, 'hosts.yml'), '--graph', '-J'], 'Wrong-Typed-9');
    expect(r.code).toBe(1);
    expect(r.output).toContain('HMAC mismatch: wrong vault password?');
    expect(r.output).not.toContain('Wrong-Typed-9');
  });
});
