/**
 * `pmta test config` on a copy (src/pmta/test-config.ts): the parser, and the remote script run
 * here for real (root, unshare) against the lab's PowerMTA simulator under PMTA_SIM_ROOT, with a
 * build that accepts and one that rejects the article's thread directives (UG §6.3.38: the command
 * checks the installed file, so the copy is bind-mounted over it in a private mount namespace).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTryConfig, tryAppendCommand, tryReplaceCommand } from '../../../src/pmta/test-config.js';

const SIM_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'lab', 'assets', 'bin');
const CONFIG = 'http-mgmt-port 8080\nlog-file /var/log/pmta/pmta.log\n<domain gmail.com>\n    max-smtp-out 8\n</domain>\n';
const THREADS = ['queue-processing-threads 4', 'smtp-service-threads 32', 'num-hosts 512'];

describe('parseTryConfig', () => {
  it('exit 0 and no error line: accepted', () => {
    expect(parseTryConfig('mtafleet-rc 0\n\n', 0)).toEqual({ verdict: 'accepted', output: '' });
  });
  it('the UG §6.3.38 answer is a rejection, with pmta\'s words', () => {
    const r = parseTryConfig('mtafleet-rc 1\nError in line 11 of /etc/pmta/config: argument missing\n', 0);
    expect(r).toEqual({ verdict: 'rejected', output: 'Error in line 11 of /etc/pmta/config: argument missing' });
  });
  it('an error line with exit 0 is still a rejection', () => {
    expect(parseTryConfig('mtafleet-rc 0\nError in line 3 of /etc/pmta/config: unknown directive "x"\n', 0).verdict).toBe('rejected');
  });
  it('not root, no unshare, a failed script: unchecked with the reason, never a guess', () => {
    expect(parseTryConfig('mtafleet-untested not root (testing a copy needs a private mount namespace)\n', 0)).toEqual({ verdict: 'unchecked', output: 'not root (testing a copy needs a private mount namespace)' });
    expect(parseTryConfig('', 1, 'mktemp: failed')).toEqual({ verdict: 'unchecked', output: 'the test did not run (exit 1): mktemp: failed' });
  });
});

describe.skipIf(process.getuid?.() !== 0)('the script, on the simulator (root, private mount namespace)', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function setup(build?: object): string {
    root = mkdtempSync(join(tmpdir(), 'mtaf-trycfg-'));
    mkdirSync(join(root, 'etc/pmta'), { recursive: true });
    mkdirSync(join(root, 'etc/pmta-sim'), { recursive: true });
    writeFileSync(join(root, 'etc/pmta/config'), CONFIG);
    if (build) writeFileSync(join(root, 'etc/pmta-sim/build.json'), JSON.stringify(build));
    return join(root, 'etc/pmta/config');
  }
  function run(c: { command: { text: string }; stdin: string }) {
    const r = spawnSync('sh', ['-c', c.command.text], { input: c.stdin, encoding: 'utf8', env: { ...process.env, PMTA_SIM_ROOT: root, PATH: `${SIM_BIN}:${process.env.PATH}` } });
    return parseTryConfig(r.stdout, r.status, r.stderr);
  }

  it('a build that knows the thread directives accepts them; the installed file is unchanged', () => {
    const file = setup();
    expect(run(tryAppendCommand(file, THREADS))).toEqual({ verdict: 'accepted', output: '' });
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
  });

  it('a build that does not know them answers as PowerMTA does (Error in line N ...); the installed file is unchanged', () => {
    const file = setup({ unknownDirectives: ['queue-processing-threads'] });
    const r = run(tryAppendCommand(file, THREADS));
    // CONFIG has 5 lines, the script adds a newline, the first added line is 7.
    expect(r).toEqual({ verdict: 'rejected', output: 'Error in line 7 of /etc/pmta/config: unknown directive "queue-processing-threads"' });
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
  });

  it('replace mode tests whole new texts of several files', () => {
    const file = setup();
    const inc = join(root, 'etc/pmta/extra.conf');
    writeFileSync(inc, '');
    writeFileSync(file, `${CONFIG}include /etc/pmta/extra.conf\n`);
    const good = run(tryReplaceCommand([{ path: inc, text: 'num-hosts 512\n' }]));
    expect(good.verdict).toBe('accepted');
    const bad = run(tryReplaceCommand([{ path: file, text: `${CONFIG}include /etc/pmta/extra.conf\n` }, { path: inc, text: 'num-hosts\n' }]));
    expect(bad).toEqual({ verdict: 'rejected', output: 'Error in line 1 of /etc/pmta/extra.conf: argument missing' });
    expect(readFileSync(inc, 'utf8')).toBe('');
  });
});
