/**
 * Output to a closed pipe ends quietly (`mtafleet audit --help | head`): no EPIPE stack trace,
 * the command's own exit code. The pipe's read end is closed before the CLI starts (python3's
 * os.pipe), so every run really writes into a closed pipe.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../../bin/mtafleet.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../inventory.example.yaml', import.meta.url));

const INTO_CLOSED_PIPE = `
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)
sys.stdout.write("rc=%d\\n" % p.returncode)
sys.stdout.write(p.stderr.decode())
`;

function intoClosedPipe(args: string[]): { rc: number; stderr: string } {
  const r = spawnSync('python3', ['-c', INTO_CLOSED_PIPE, process.execPath, BIN, ...args], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const [first, ...rest] = r.stdout.split('\n');
  return { rc: Number(first!.replace('rc=', '')), stderr: rest.join('\n') };
}

describe('writing to a closed pipe', () => {
  it.each([
    [['audit', '--help'], 0],
    [['inventory', '-i', EXAMPLE, '--list'], 0],
    [['--version'], 0],
  ])('mtafleet %j ends quietly with its own exit code', (args, code) => {
    const r = intoClosedPipe(args as string[]);
    expect(r.stderr).toBe('');
    expect(r.rc).toBe(code);
  });

  it('an error still reaches stderr with its exit code when stdout is closed', () => {
    const r = intoClosedPipe(['inventory', '-i', '/nonexistent/inventory.yaml', '--list']);
    expect(r.rc).toBe(1);
    expect(r.stderr).toMatch(/nonexistent\/inventory\.yaml/);
    expect(r.stderr).not.toMatch(/EPIPE|at .*node:/);
  });
});
