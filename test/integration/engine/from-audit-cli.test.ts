/**
 * `mtafleet plan --from-audit` through the real CLI, without hosts: bad input exits 1 with the
 * file and where in it, before any host is contacted (the inventory's only host listens
 * nowhere: contacting it would be exit 4); an audit with nothing to remedy makes an empty plan
 * that `apply` takes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOnce, runCli } from '../../helpers/cli.js';

let dir: string;
let inv: string;

beforeAll(() => {
  buildOnce();
  dir = mkdtempSync(join(tmpdir(), 'mtaf-fa-cli-'));
  inv = join(dir, 'inv.yaml');
  writeFileSync(inv, 'mta:\n  hosts:\n    h1:\n      ansible_host: 127.0.0.1\n      ansible_port: 1\n');
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli([...args, '--state-dir', join(dir, 'state')], { ...process.env, HOME: dir, NO_COLOR: '1' });
const host = (name: string, findings: unknown[]) => ({ name, reachable: true, error: null, facts: {}, findings, unavailable: {}, warnings: [] });
const fd = (vars: Record<string, string>) => ({ kind: 'fd-limit', severity: 'critical', title: 't', evidence: [], remedy: 'playbooks/fd-limit.yaml', remedyVars: vars, strength: 1 });

function auditFile(name: string, data: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof data === 'string' ? data : JSON.stringify(data));
  return file;
}

describe('plan --from-audit: the CLI', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['a value with a newline', { hosts: [host('h1', [fd({ nofile: '65535\nreboot' })])] }, /bad1\.json: hosts\[0\]\.findings\[0\]\.remedyVars\.nofile: a control character/],
    ['a host the inventory does not have', { hosts: [host('mta99', [])] }, /bad2\.json: host "mta99" of the audit is not in .*inv\.yaml/],
    ['no JSON at all', '<html>', /bad3\.json is not an audit JSON file \(mtafleet audit --format json\): not valid JSON/],
  ];
  for (const [i, [what, data, message]] of bad.entries()) {
    it(`exits 1 on ${what}, naming the file and where, before any host is contacted`, async () => {
      const r = await cli(['plan', '--from-audit', auditFile(`bad${i + 1}.json`, data), '-i', inv]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    });
  }

  it('exits 1 on a playbook and --from-audit together, on neither, and on --tags with --from-audit', async () => {
    const file = auditFile('ok.json', { hosts: [host('h1', [])] });
    const both = await cli(['plan', 'playbooks/fd-limit.yaml', '--from-audit', file, '-i', inv]);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/give a playbook or --from-audit, not both/);
    const neither = await cli(['plan', '-i', inv]);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toMatch(/give a playbook to plan, or --from-audit AUDIT\.json/);
    const tags = await cli(['plan', '--from-audit', file, '-i', inv, '--tags', 'x']);
    expect(tags.code).toBe(1);
    expect(tags.stderr).toMatch(/--tags\/--skip-tags do not go with --from-audit/);
  });

  it('reads the audit from standard input with --from-audit -', async () => {
    const audit = JSON.stringify({ hosts: [host('h1', [])] });
    const r = await runCli(['plan', '--from-audit', '-', '-i', inv, '--format', 'json', '--state-dir', join(dir, 'state')], { ...process.env, HOME: dir, NO_COLOR: '1' }, audit);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).fromAudit).toMatchObject({ audit: { path: '-' }, healthy: ['h1'] });
    const bad = await runCli(['plan', '--from-audit', '-', '-i', inv], { ...process.env, HOME: dir, NO_COLOR: '1' }, '{"hosts": 1}');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/-: hosts: /);
  });

  it('an audit with nothing to remedy: an empty plan, the host listed as left alone, and apply has nothing to do', async () => {
    const file = auditFile('healthy.json', { hosts: [host('h1', [{ ...fd({}), severity: 'info' }])] });
    const plan = join(dir, 'empty.plan');
    const r = await cli(['plan', '--from-audit', file, '-i', inv, '--out', plan, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.plays).toEqual([]);
    expect(doc.fromAudit).toMatchObject({ sources: [], unremedied: [], healthy: ['h1'] });
    expect(JSON.parse(readFileSync(plan, 'utf8')).digest).toBe(doc.digest);
    const apply = await cli(['apply', plan, '--yes', '--format', 'json']);
    expect(apply.code, apply.stderr).toBe(0);
    expect(JSON.parse(apply.stdout).hosts).toEqual([]);
  });
});
