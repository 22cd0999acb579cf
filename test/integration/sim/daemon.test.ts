import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyStatus, mergeHttpStatus } from '../../../src/probes/pmta-status.js';
import { freePort, labConfig, makeRoot, run, waitFor } from './simd.js';

let root = '';
let port = 0;
const p = (rel: string) => path.join(root, rel);
const pid = () => Number(readFileSync(p('var/lib/pmta-sim/pmtad.pid'), 'utf8'));
const spoolFiles = () => readdirSync(p('var/spool/pmta'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.msg')).length;
const acctRows = () => parse(readFileSync(p('var/log/pmta/acct.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
/** Exited: gone, or a zombie waiting for init to reap it (the shim that forked it has exited). */
const exited = (n: number) => !existsSync(`/proc/${n}`) || /^\d+ \(.*\) Z /.test(readFileSync(`/proc/${n}/stat`, 'utf8'));
const nofile = (n: number) => readFileSync(`/proc/${n}/limits`, 'utf8').match(/^Max open files\s+(\d+)\s+(\d+)/m)!.slice(1).map(Number);

function get(urlPath: string, localAddress?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, localAddress }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

beforeAll(async () => {
  port = await freePort();
  root = makeRoot(port);
  const r = await run(root, 'systemctl', ['start', 'pmta']);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  if (root) {
    await run(root, 'systemctl', ['stop', 'pmta']);
    rmSync(root, { recursive: true, force: true });
  }
});

describe('pmtad via the systemctl shim', () => {
  it('runs as pmtad, reports active, and wrote a day of backdated accounting', async () => {
    expect(readFileSync(`/proc/${pid()}/comm`, 'utf8').trim()).toBe('pmtad');
    expect(await run(root, 'systemctl', ['is-active', 'pmta'])).toMatchObject({ code: 0, stdout: 'active\n' });
    const rows = acctRows();
    expect(rows.length).toBeGreaterThan(100);
    const times = rows.map((r) => Date.parse(r.timeLogged.replace(' ', 'T').replace('+0000', 'Z')));
    expect(Math.min(...times)).toBeLessThan(Date.now() - 20 * 3600_000);
    expect(new Set(rows.map((r) => r.dlvSourceIp))).toEqual(new Set(['203.0.113.1', '203.0.113.2']));
  });

  it('delivers injected messages (files removed, d/t/b records) and keeps hold.test queued', async () => {
    const before = acctRows().length;
    expect((await run(root, 'pmta', ['inject', '40', '--domain', 'example.net'])).code).toBe(0);
    expect((await run(root, 'pmta', ['inject', '5', '--domain', 'hold.test'])).stdout).toBe('5 messages injected.\n');
    expect(spoolFiles()).toBeGreaterThan(5);
    await waitFor('spool to drain to the held messages', () => spoolFiles() === 5, 40_000);
    const fresh = acctRows().slice(before);
    const types = new Set(fresh.filter((r) => r.rcpt.endsWith('@example.net')).map((r) => r.type));
    expect(types).toEqual(new Set(['d', 't', 'b']));
    expect(fresh.filter((r) => r.type === 'd' && r.rcpt.endsWith('@example.net')).length + fresh.filter((r) => r.type === 'b').length).toBe(40);
    const held = fresh.filter((r) => r.rcpt.endsWith('@hold.test'));
    expect(held.length).toBeGreaterThan(0);
    expect(held.every((r) => r.type === 't' && r.dsnAction === 'delayed')).toBe(true);
    const domains = await run(root, 'pmta', ['show', 'domains']);
    expect(domains.stdout).toMatch(/^ +hold\.test +5 +20\.0 +\d+ 421 4\.4\.1/m);
    const status = await run(root, 'pmta', ['show', 'status']);
    expect(status.stdout).toMatch(/^ {7}SMTP {10}5 {9}1 /m);
  });

  it('pauses and resumes a queue', async () => {
    expect((await run(root, 'pmta', ['pause', 'queue', 'example.net/*'])).stdout).toBe('Queue(s) paused.\n');
    await run(root, 'pmta', ['inject', '3', '--domain', 'example.net']);
    await new Promise((r) => setTimeout(r, 1500));
    // UG §6.3.13 has no paused column: --paused={yes|no} selects the queues.
    expect((await run(root, 'pmta', ['show', 'queues', '--paused=yes'])).stdout).toMatch(/^example\.net\/vmta\d +\d+ +[\d.]+ +0\b/m);
    expect((await run(root, 'pmta', ['show', 'queues', '--paused=no'])).stdout).not.toMatch(/^example\.net\//m);
    expect((await run(root, 'pmta', ['resume', 'queue', 'example.net/*'])).stdout).toBe('Queue(s) resumed.\n');
    await waitFor('resumed queue to drain', () => spoolFiles() === 5, 30_000);
  });

  it('show domains/queues take the UG §6.3 options; set queue --mode=backoff shows in --mode=backoff', async () => {
    const one = await run(root, 'pmta', ['show', 'domains', 'hold.test', '--errors']);
    expect(one.stdout).toMatch(/^hold\.test 5 20\.0 \d+ 421 4\.4\.1 mx\.hold\.\.\.\n\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d 421 4\.4\.1 mx\.hold\.test: service/m);
    expect(one.stdout).toMatch(/\n1 of 1 domains shown\.\n$/);
    expect((await run(root, 'pmta', ['show', 'domains', '--maxitems=1', '--sort=rcpt'])).stdout).toMatch(/^1 of \d+ domains shown\.$/m);
    expect((await run(root, 'pmta', ['show', 'topdomains', '--sort=rcpt'])).code).toBe(1);
    expect((await run(root, 'pmta', ['show', 'queues', '--mode=backoff', '--no-rcpt-events'])).stdout).toMatch(/^0 of 0 matching queues\.$/m);
    expect((await run(root, 'pmta', ['set', 'queue', '--mode=backoff', 'hold.test/*'])).code).toBe(0);
    const backoff = await run(root, 'pmta', ['show', 'queues', '--mode=backoff', '--no-rcpt-events']);
    expect(backoff.stdout).toMatch(/^hold\.test\/vmta\d +\d+ +[\d.]+ +\d+ bo /m);
    expect(backoff.stdout).not.toMatch(/^example\.net/m);
    await run(root, 'pmta', ['set', 'queue', '--mode=normal', 'hold.test/*']);
    expect((await run(root, 'pmta', ['show', 'queues', '--mode=backoff'])).stdout).toMatch(/^0 of 0 matching queues\.$/m);
  });

  it('serves the HTTP JSON envelope and refuses addresses outside http-access', async () => {
    const res = await get('/status?format=json');
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({ status: 'success', message: '' });
    expect(body.data.status).toMatchObject({ status: 'running', shuttingDown: false, conn: { smtpOut: { cur: expect.any(Number), max: 10000 } }, queue: { smtp: { rcp: 5, dom: 1 } }, spool: { files: { inUse: 5 } } });
    expect(body.data.status.traffic.total.out.msg).toBeGreaterThan(0);
    expect(body.data.mta.cpu.count).toBeGreaterThan(0);
    const vmtas = JSON.parse((await get('/vmtas?format=json')).body);
    // Sorted by recipients (UG §5.11), so compare the names as a set.
    expect(vmtas.data.vmta.map((v: { name: string }) => v.name).sort()).toEqual(['vmta1', 'vmta2']);
    // What the pmta-status probe reads from it: the counters under data.status, the version under data.mta.
    const warnings: string[] = [];
    const facts = emptyStatus();
    expect(mergeHttpStatus(res.body, facts, warnings)).toBe(true);
    expect(warnings).toEqual([]);
    expect(facts).toMatchObject({ version: '5.0r1', status: 'running', queue: { smtp: { rcpts: 5, domains: 1 } }, connections: { smtpOut: { max: 10000 } } });
    const cli = await run(root, 'pmta', ['--json', 'show', 'status']);
    expect(JSON.parse(cli.stdout)).toMatchObject({ data: { mta: { product: { name: 'PowerMTA' } }, status: { status: 'running' } }, status: 'success' });
    const domains = JSON.parse((await get('/domains?format=json')).body);
    expect(domains.data.domain).toContainEqual(expect.objectContaining({ name: 'hold.test', rcp: 5 }));
    expect((await get('/status?format=json', '127.0.0.9')).status).toBe(403);
  });

  it('reload with a broken config fails naming the line and keeps the old config', async () => {
    const good = readFileSync(p('etc/pmta/config'), 'utf8');
    const vmta3 = '<virtual-mta vmta3>\n    smtp-source-host 203.0.113.3 mta3.example.com\n</virtual-mta>\n';
    const badLine = labConfig(port, vmta3).split('\n').length;
    writeFileSync(p('etc/pmta/config'), `${labConfig(port, vmta3)}max-smtp-outt 5\n`);
    const bad = await run(root, 'pmta', ['reload']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(new RegExp(`^Error in line ${badLine} of /etc/pmta/config: unknown directive "max-smtp-outt"$`, 'm'));
    expect((await run(root, 'pmta', ['test', 'config'])).stderr).toContain(`Error in line ${badLine} of /etc/pmta/config`);
    const viaSystemctl = await run(root, 'systemctl', ['reload', 'pmta']);
    expect(viaSystemctl.code).not.toBe(0);
    expect((await run(root, 'pmta', ['show', 'vmtas'])).stdout).toContain('2 of 2 virtual MTAs.');
    writeFileSync(p('etc/pmta/config'), labConfig(port, vmta3));
    expect(await run(root, 'pmta', ['test', 'config'])).toMatchObject({ code: 0 });
    expect(await run(root, 'pmta', ['reload'])).toMatchObject({ code: 0, stdout: 'Configuration reloaded.\n' });
    expect((await run(root, 'pmta', ['show', 'vmtas'])).stdout).toContain('3 of 3 virtual MTAs.');
    writeFileSync(p('etc/pmta/config'), good);
    expect((await run(root, 'systemctl', ['reload', 'pmta'])).code).toBe(0);
  });

  it('applies a LimitNOFILE drop-in only after daemon-reload and restart', async () => {
    const oldPid = pid();
    const oldLimit = nofile(oldPid);
    mkdirSync(p('etc/systemd/system/pmta.service.d'), { recursive: true });
    writeFileSync(p('etc/systemd/system/pmta.service.d/limits.conf'), '[Service]\nLimitNOFILE=4321\n');
    expect((await run(root, 'systemctl', ['daemon-reload'])).code).toBe(0);
    expect((await run(root, 'systemctl', ['show', '-p', 'LimitNOFILE', 'pmta'])).stdout).toBe('LimitNOFILE=4321\n');
    expect(nofile(oldPid)).toEqual(oldLimit);
    expect((await run(root, 'systemctl', ['restart', 'pmta'])).code).toBe(0);
    expect(pid()).not.toBe(oldPid);
    expect(exited(oldPid)).toBe(true);
    expect(nofile(pid())).toEqual([4321, 4321]);
    // The held messages survived the restart (recovered from the spool).
    expect(JSON.parse((await get('/status?format=json')).body).data.status.queue.smtp.rcp).toBe(5);
  });

  it('stop waits for the daemon to exit; then show fails like the real pmta', async () => {
    const last = pid();
    expect((await run(root, 'systemctl', ['stop', 'pmta'])).code).toBe(0);
    expect(exited(last)).toBe(true);
    expect(await run(root, 'systemctl', ['is-active', 'pmta'])).toMatchObject({ code: 3, stdout: 'inactive\n' });
    const show = await run(root, 'pmta', ['show', 'status']);
    expect(show.code).not.toBe(0);
    expect(show.stderr).toMatch(/Connection refused/);
    expect((await run(root, 'pmta', ['reload'])).code).not.toBe(0);
    expect(await run(root, 'systemctl', ['status', 'nosuch'])).toMatchObject({ code: 5, stderr: 'Unit nosuch.service not found.\n' });
  });

  it('refuses to start without a spool directory and says why in pmta.log', async () => {
    rmSync(p('var/spool/pmta'), { recursive: true, force: true });
    const r = await run(root, 'systemctl', ['start', 'pmta']);
    expect(r.code).not.toBe(0);
    expect(readFileSync(p('var/log/pmta/pmta.log'), 'utf8')).toMatch(/spool directory \/var\/spool\/pmta does not exist/);
    expect((await run(root, 'systemctl', ['is-active', 'pmta'])).code).toBe(3);
  });
});
