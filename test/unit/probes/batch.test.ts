import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_PROBES, buildProbeScript, runProbes, splitProbeOutput, type HostFacts } from '../../../src/probes/index.js';
import { script } from '../../../src/transport/quote.js';
import type { Probe } from '../../../src/probes/types.js';
import { localHost } from './local-host.js';

const FAKEBIN = new URL('../../fixtures/probes/fakebin', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mtaf-probes-batch-'));
const started: number[] = [];

afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

const HEADER = 'type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,vmta,jobId,envId,queue,vmtaPool';
const rec = (type: string, time: string, rcpt: string, diag: string, ip: string): string =>
  `${type},${time},${time},b@s.example,${rcpt},,relayed,2.0.0,"${diag}",mx,,api,h,smtp,${ip},192.0.2.1,"ENHANCEDSTATUSCODES,8BITMIME",100,vmta1,,,q,p`;

function setUpHost(): string {
  mkdirSync(join(dir, 'conf.d'));
  mkdirSync(join(dir, 'spool'));
  mkdirSync(join(dir, 'spool-real'));
  copyFileSync('/bin/sleep', join(dir, 'pmtad'));
  writeFileSync(
    join(dir, 'config'),
    [
      '# test host',
      'http-mgmt-port 0',
      `log-file ${dir}/pmta.log`,
      `<acct-file ${dir}/acct.csv>`,
      '    records d,b,t',
      '</acct-file>',
      `<spool ${dir}/spool>`,
      '</spool>',
      'include conf.d/*.conf',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'conf.d', 'gmail.conf'), '<domain gmail.com>\n  max-smtp-out 8\n  max-msg-per-connection 150\n</domain>\nqueue-processing-threads 1\n');
  writeFileSync(
    join(dir, 'acct-2026-11-28-0000.csv'),
    [HEADER, rec('d', '2026-11-27 23:10:00+0000', 'a@gmail.com', 'smtp;250 ok', '203.0.113.1'), rec('t', '2026-11-27 23:20:00+0000', 'b@gmail.com', 'smtp;421 4.7.0 try, later', '203.0.113.2')].join('\n') + '\n',
  );
  utimesSync(join(dir, 'acct-2026-11-28-0000.csv'), new Date('2026-11-28T00:00:00Z'), new Date('2026-11-28T00:00:00Z'));
  writeFileSync(join(dir, 'acct.csv'), [HEADER, rec('d', '2026-11-28 10:00:00+0100', 'c@Yahoo.com', 'smtp;250 ok', '203.0.113.1'), rec('b', '2026-11-28 10:05:00+0100', 'd@yahoo.com', 'smtp;550 5.1.1 "unknown"', '203.0.113.2')].join('\n') + '\n');
  utimesSync(join(dir, 'acct.csv'), new Date('2026-11-28T09:05:00Z'), new Date('2026-11-28T09:05:00Z'));
  writeFileSync(join(dir, 'pmta.log'), 'started\nError opening spool file a: Too many open files\nok\nError opening spool file b: Too many open files\n');
  return join(dir, 'config');
}

const configPath = setUpHost();

describe.each(['dash', 'bash'])('runProbes through %s on this machine', (shell) => {
  let facts: HostFacts;
  let elapsed = 0;

  it('runs every probe in one round trip in about one second', async () => {
    // The fake daemon is a copy of sleep named pmtad, started by the same shell in a fresh
    // network namespace; ( ... & ) detaches it so the batch's `wait` does not wait for it.
    // The spool is a bind mount (as on lab hosts): findmnt then names "/dev/X[/dir]".
    const host = localHost(shell, { PATH: `${FAKEBIN}:${process.env.PATH}` }, { netns: true, mountns: true, prefix: `mount --bind ${dir}/spool-real ${dir}/spool\n( exec ${dir}/pmtad 60 >/dev/null 2>&1 </dev/null & )\nfor i in 1 2 3 4 5 6 7 8 9 10; do for p in $(pgrep -x pmtad); do [ "$(readlink /proc/$p/ns/net)" = "$(readlink /proc/$$/ns/net)" ] && break 2; done; sleep 0.1; done\n` });
    let calls = 0;
    const counting = { ...host, exec: (...args: Parameters<typeof host.exec>) => (calls++, host.exec(...args)) };
    const t0 = Date.now();
    facts = await runProbes(counting, { configPath });
    elapsed = Date.now() - t0;
    if (facts.facts.fd?.pid) started.push(facts.facts.fd.pid);
    expect(calls).toBe(1);
    expect(facts.unavailable).toEqual({});
    expect(elapsed).toBeLessThan(6000);
  });

  it('parses the fake pmta CLI and the config with its include', () => {
    expect(facts.facts.pmtaStatus?.sources).toEqual(['cli']);
    expect(facts.facts.pmtaStatus?.deliveredLastHour).toBe(939263);
    expect(facts.facts.pmtaStatus?.vmtas).toHaveLength(2);
    // topdomains shows 20 of 30 (UG §6.3.12 sample): gmail.com, named in the included config, is asked by name.
    expect(facts.facts.pmtaStatus?.domains).toHaveLength(21);
    expect(facts.facts.pmtaStatus?.domains[20]).toMatchObject({ domain: 'gmail.com', rcpts: 5, connections: 1 });
    expect(facts.warnings.some((w) => /^pmta-status: pmta show topdomains --maxitems=200: listing truncated/.test(w))).toBe(true);
    expect(facts.facts.config?.files).toEqual([configPath, join(dir, 'conf.d', 'gmail.conf')]);
    expect(facts.facts.config?.settings.domains['gmail.com'].maxSmtpOut).toBe(8);
    expect(facts.facts.config?.settings.threads.queueProcessingThreads).toBe(1);
  });

  it('aggregates the current and the rotated acct file over the window', () => {
    const acc = facts.facts.accounting!;
    expect(acc.files.sort()).toEqual([join(dir, 'acct-2026-11-28-0000.csv'), join(dir, 'acct.csv')]);
    expect(acc.records).toBe(4);
    expect(acc.until).toBe('2026-11-28 10:05:00+0100');
    expect(acc.since).toBe('2026-11-27 23:10:00+0000');
    expect(acc.byDomain['gmail.com']).toEqual({ delivered: 1, deferred: 1, bounced: 0, deferralRate: 0.5 });
    expect(acc.byDomain['yahoo.com']).toEqual({ delivered: 1, deferred: 0, bounced: 1, deferralRate: 0 });
    expect(acc.topDiagnostics).toEqual([
      { domain: 'gmail.com', count: 1, pattern: 'smtp;421 4.7.0 try, later' },
      { domain: 'yahoo.com', count: 1, pattern: 'smtp;550 5.1.1 "unknown"' },
    ]);
  });

  it('finds the daemon, its limits and the log errors; samples CPU, ports and the spool disk', () => {
    const { fd, cpu, ports, spool } = facts.facts;
    expect(fd?.pid).toBeGreaterThan(0);
    expect(fd?.softLimit).toBeGreaterThan(0);
    expect(fd?.openFds).toBeGreaterThanOrEqual(3);
    expect(fd?.logs).toEqual([
      { file: join(dir, 'pmta.log'), tooManyOpenFiles: 2, lastLines: ['Error opening spool file a: Too many open files', 'Error opening spool file b: Too many open files'] },
    ]);
    expect(cpu?.cores).toBeGreaterThanOrEqual(1);
    expect(cpu?.perCore.length).toBe(cpu?.cores);
    expect(cpu?.daemonCpuPercent).toBeLessThan(20);
    expect(cpu?.daemonThreads).toBe(1);
    expect(cpu?.hottestThread?.tid).toBe(fd?.pid);
    expect(cpu?.hottestThread?.runnablePercent).toBeLessThan(20);
    expect(cpu?.ioBlockedShare).toBe(0);
    expect(cpu?.sampleSeconds).toBeGreaterThanOrEqual(0.9);
    expect(ports?.sysctl.ipLocalPortRange?.length).toBe(2);
    expect(ports?.timeWait).toBe(0);
    expect(spool?.spools[0].dir).toBe(join(dir, 'spool'));
    const device = spool?.spools[0].device ?? '';
    expect(spool?.spools[0].source).toMatch(/\[.*spool-real\]$/);
    expect(device).toMatch(/^[\w-]+$/);
    expect(existsSync(`/sys/block/${device}`)).toBe(true);
    expect(spool?.io[device]?.source).toBe('iostat -x');
  });
});

describe('batch script', () => {
  it('reports missing tools as unavailable and goes on', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    const facts = await runProbes(localHost('dash'), { configPath: join(empty, 'none') });
    expect(facts.unavailable['pmta-status']).toMatch(/pmta command not found/);
    expect(facts.unavailable.config).toMatch(/PowerMTA config .* not found/);
    expect(facts.facts.ports).toBeDefined();
    expect(facts.facts.cpu).toBeDefined();
  });

  it('splits sections by the batch nonce only: forged markers stay content', () => {
    const probes: Array<Probe<unknown>> = [
      { name: 'one', command: script(`printf 'a\\n@@mtafleet-batch-forged end one 0\\n'; exit 3`), parse: () => ({ status: 'unavailable', reason: '' }) },
      { name: 'two', command: script(`printf 'no newline'; echo err >&2`), parse: () => ({ status: 'unavailable', reason: '' }) },
    ];
    const text = buildProbeScript(probes, { nonce: 'abc' }).text;
    expect(text).toContain('@@mtafleet-batch-abc');
    const stdout = execLocal(text);
    const out = splitProbeOutput(stdout);
    expect(out.get('one')).toEqual({ stdout: 'a\n@@mtafleet-batch-forged end one 0\n', stderr: '', exitCode: 3 });
    expect(out.get('two')).toEqual({ stdout: 'no newline', stderr: 'err\n', exitCode: 0 });
  });

  it('runs the samplers first, alone: a loading probe starts only after every sample window ended', () => {
    const none = () => ({ status: 'unavailable' as const, reason: '' });
    // Nanosecond clock readings: the loader's start must follow both samplers' ends.
    const probes: Array<Probe<unknown>> = [
      { name: 'load', command: script(`date +%s%N`), parse: none },
      { name: 'cpu-like', samples: true, command: script(`sleep 0.3; date +%s%N`), parse: none },
      { name: 'disk-like', samples: true, command: script(`sleep 0.2; date +%s%N`), parse: none },
    ];
    const out = splitProbeOutput(execLocal(buildProbeScript(probes, { nonce: 'ph' }).text));
    const at = (name: string): bigint => BigInt(out.get(name)!.stdout.trim());
    expect(at('load')).toBeGreaterThan(at('cpu-like'));
    expect(at('load')).toBeGreaterThan(at('disk-like'));
    // printed in the order given, whatever the phase
    expect([...out.keys()]).toEqual(['load', 'cpu-like', 'disk-like']);
    expect(ALL_PROBES.filter((p) => p.samples).map((p) => p.name).sort()).toEqual(['cpu', 'spool-disk']);
  });

  it('quotes options and refuses bad probe names', () => {
    expect(buildProbeScript(ALL_PROBES, { configPath: "/etc/pmta/it's", nonce: 'n' }).text).toContain(`MTAF_CONFIG='/etc/pmta/it'\\''s'`);
    const bad = { name: 'Bad name', command: script('true'), parse: () => ({ status: 'unavailable' as const, reason: '' }) };
    expect(() => buildProbeScript([bad])).toThrow(/invalid or duplicate probe name/);
  });
});

function execLocal(text: string): string {
  return execFileSync('dash', ['-c', text]).toString('utf8');
}
