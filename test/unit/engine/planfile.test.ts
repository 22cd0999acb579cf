import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planDigest, readPlanFile, redactVars, writePlanFile } from '../../../src/engine/planfile.js';
import { PlanFileError } from '../../../src/util/errors.js';
import { Secret } from '../../../src/util/secret.js';
import { samplePlanBody as body } from './fakes.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'mtaf-eng-unit-'));
  dirs.push(d);
  return d;
}

describe('plan files', () => {
  it('round-trips, is mode 0600, and the digest covers the canonical body', () => {
    const file = join(tmp(), 'p.plan');
    const digest = writePlanFile(file, body());
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const doc = readPlanFile(file);
    expect(doc.digest).toBe(digest);
    expect(planDigest(body())).toBe(digest);
    // key order does not matter, content does
    const reordered = JSON.parse(JSON.stringify(body()));
    expect(planDigest({ ...reordered, user: reordered.user })).toBe(digest);
    expect(planDigest({ ...body(), user: 'other' })).not.toBe(digest);
  });

  it.each([
    ['a changed value', (t: string) => t.replace('"content": "y"', '"content": "z"'), /modified after it was written/],
    ['a changed digest', (t: string) => t.replace(/"digest": "[0-9a-f]{64}"/, `"digest": "${'0'.repeat(64)}"`), /modified after it was written/],
    ['truncation', (t: string) => t.slice(0, 200), /not valid JSON/],
    ['garbage', () => 'hello', /not valid JSON/],
    ['another JSON file', () => '{"a":1}', /not an mtafleet plan file/],
    ['an added key', (t: string) => t.replace('"user": "ops",', '"user": "ops", "x": 1,'), /damaged/],
    ['a missing field', (t: string) => t.replace('"fingerprint"', '"fingerprinx"'), /damaged/],
    ['a newer format', (t: string) => t.replace('"version": 1', '"version": 2'), /version 2/],
  ])('refuses %s with a PlanFileError', (_name, tamper, message) => {
    const file = join(tmp(), 'p.plan');
    writePlanFile(file, body());
    writeFileSync(file, tamper(readFileSync(file, 'utf8')));
    expect(() => readPlanFile(file)).toThrow(PlanFileError);
    expect(() => readPlanFile(file)).toThrow(message);
  });

  it('a task\'s basis, predicted and projected are typed: a predicted that is not text is refused as damaged', () => {
    const file = join(tmp(), 'p.plan');
    const b = body();
    Object.assign(b.plays[0]!.hosts[0]!.tasks[0]!, { basis: { 'file /etc/x': { exists: false } }, predicted: 'why', projected: { 'file /etc/x': { exists: true } } });
    writePlanFile(file, b);
    expect(readPlanFile(file).plays[0]!.hosts[0]!.tasks[0]!).toMatchObject({ predicted: 'why', basis: { 'file /etc/x': { exists: false } } });
    (b.plays[0]!.hosts[0]!.tasks[0]! as unknown as { predicted: number }).predicted = 5;
    writePlanFile(file, b);
    expect(() => readPlanFile(file)).toThrow(/damaged/);
  });

  it('redacts secret-looking extra vars and Secret values', () => {
    expect(redactVars({ threads: '8', smtp_password: 'hunter2', api_token: 't', k: new Secret('s') })).toEqual({
      threads: '8',
      smtp_password: '***',
      api_token: '***',
      k: '***',
    });
  });
});
