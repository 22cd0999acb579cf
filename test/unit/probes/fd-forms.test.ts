/**
 * File-descriptor exhaustion in every form a PowerMTA log can carry: the strerror texts
 * ("Too many open files", "Too many open files in system") and the errno symbols (EMFILE,
 * ENFILE) the way PowerMTA writes errno symbols in its log lines: the Guide's log lines are
 * "DATE TIME text" (UG §3.3.7.61 sample: "2003-06-29 15:32:00 ( 20)starting aol.com") and its
 * `show domains --errors` example records "2003-06-19 16:40:10 ETIMEDOUT connecting to
 * mail.port25.com (193.96.192.241)".
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProbeScript, splitProbeOutput } from '../../../src/probes/index.js';
import { fdExhaustion, fdProbe, parseFd } from '../../../src/probes/fd.js';
import { fdLimit } from '../../../src/diagnose/system.js';

// Guide-style lines: date, time, then the errno symbol and what was being done.
const LOG = [
  '2019-02-07 22:31:24 starting port25.com/{default}',
  '2003-06-19 16:40:10 ETIMEDOUT connecting to mail.port25.com (193.96.192.241)',
  '2026-12-02 10:00:01 EMFILE opening spool file /var/spool/pmta/A/1.msg',
  '2026-12-02 10:00:02 Error opening spool file /var/spool/pmta/A/2.msg: Too many open files',
  '2026-12-02 10:00:03 ENFILE accepting connection from 127.0.0.1',
  '2026-12-02 10:00:04 Error opening /var/log/pmta/acct.csv: Too many open files in system',
  '2026-12-02 10:00:05 EMFILES is not a symbol, NOEMFILE neither',
  '2026-12-02 10:00:06 EMFILE',
];

describe('fdExhaustion (pure)', () => {
  it('classifies each form; other errno symbols and look-alikes are not exhaustion', () => {
    expect(LOG.map(fdExhaustion)).toEqual([null, null, 'process', 'process', 'system', 'system', null, 'process']);
  });
});

describe.each(['dash', 'bash'])('the fd probe on this machine (%s)', (shell) => {
  const dir = mkdtempSync(join(tmpdir(), 'mtaf-fd-forms-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'pmta.log'), `${LOG.join('\n')}\n`);
  writeFileSync(join(dir, 'config'), `log-file ${dir}/pmta.log\n`);

  it('counts every form, system-wide apart, and keeps the last three lines', () => {
    const command = buildProbeScript([fdProbe], { configPath: join(dir, 'config'), nonce: 'fdforms' });
    const r = spawnSync(shell, ['-c', command.text], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const result = parseFd(splitProbeOutput(r.stdout).get('fd')!);
    expect(result.status).toBe('ok');
    if (result.status !== 'ok') return;
    expect(result.facts.logs).toEqual([{ file: join(dir, 'pmta.log'), tooManyOpenFiles: 5, systemWide: 2, lastLines: LOG.slice(4, 6).concat(LOG[7]!) }]);
    expect(result.facts.systemFiles?.max).toBeGreaterThan(0);
  });
});

describe('fd-limit from the forms', () => {
  const facts = (logs: Parameters<typeof fdLimit>[0]['fd'] extends infer F ? F extends { logs: infer L } ? L : never : never) => ({
    fd: { pid: 42, softLimit: 65535, hardLimit: 65535, openFds: 100, logs, systemFiles: { allocated: 1_048_000, max: 1_048_576 } },
  });

  it('EMFILE lines: the LimitNOFILE playbook', () => {
    const [f] = fdLimit(facts([{ file: '/var/log/pmta/pmta.log', tooManyOpenFiles: 3, lastLines: [LOG[2]!] }]));
    expect(f).toMatchObject({ kind: 'fd-limit', severity: 'critical', remedy: 'playbooks/fd-limit.yaml' });
    expect(f!.evidence[0]).toBe('3 "Too many open files" lines in recent /var/log/pmta/pmta.log');
  });

  it('only ENFILE / "in system" lines: the kernel table is full, LimitNOFILE would not help (remedy null, what to do)', () => {
    const [f] = fdLimit(facts([{ file: '/var/log/pmta/pmta.log', tooManyOpenFiles: 2, systemWide: 2, lastLines: [LOG[5]!] }]));
    expect(f).toMatchObject({ kind: 'fd-limit', severity: 'critical', remedy: null });
    expect(f!.title).toMatch(/system-wide/);
    expect(f!.evidence).toContain('2 of them system-wide (ENFILE, "Too many open files in system"): the kernel\'s file table is full; LimitNOFILE does not raise it');
    expect(f!.evidence).toContain('file handles 1,048,000 allocated of fs.file-max 1,048,576 (/proc/sys/fs/file-nr)');
  });
});
