/** `-e` as Ansible takes it: key=value, @FILE (YAML or JSON), an inline {...} mapping; later wins. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectExtraVar } from '../../../src/cli/extra-vars.js';
import { main } from '../../../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'mtaf-extravars-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const collect = (...values: string[]): Record<string, unknown> => values.reduce<Record<string, unknown>>((acc, v) => collectExtraVar(v, acc), {});

describe('-e', () => {
  it('reads key=value, @vars.yml (YAML 1.1), @vars.json and inline JSON; later wins', () => {
    writeFileSync(join(dir, 'vars.yml'), 'nofile: 65535\nreload: yes\ndomains: [gmail.com, yahoo.com]\nport_range: "10240 65535"\n');
    writeFileSync(join(dir, 'vars.json'), '{"nofile": 1024, "limits": {"gmail.com": 40}}');
    expect(collect('a=1', `@${join(dir, 'vars.yml')}`, '{"a": 2, "b": [1, 2]}', `@${join(dir, 'vars.json')}`, 'b=x=y')).toEqual({
      a: 2,
      nofile: 1024,
      reload: true,
      domains: ['gmail.com', 'yahoo.com'],
      port_range: '10240 65535',
      limits: { 'gmail.com': 40 },
      b: 'x=y',
    });
  });

  it('keeps __proto__ as a plain key, never the prototype', () => {
    const vars = collect('{"__proto__": {"polluted": 1}}');
    expect(Object.getPrototypeOf(vars)).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['@', /-e @ needs a file name/],
    ['@/nonexistent/vars.yml', /-e @\/nonexistent\/vars\.yml: cannot read it \(ENOENT\)/],
    ['{"a": ', /the -e value:1: not valid YAML or JSON/],
    ['[1, 2]', /must be a mapping of variable names to values, not a list/],
    ['{"not a name": 1}', /"not a name" is not a variable name/],
    ['novalue', /-e expects key=value, @FILE or a \{\.\.\.\} mapping/],
  ])('refuses %j with a clear message', (value, message) => {
    expect(() => collect(value)).toThrow(message);
  });

  it('a bad vars file is bad input: exit 1, named on stderr, before anything else', async () => {
    writeFileSync(join(dir, 'bad.yml'), 'a: [1,\n');
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (written.push(String(s)), true)) as typeof process.stderr.write;
    let code: number;
    try {
      code = await main(['node', 'mtafleet', 'plan', 'playbooks/fd-limit.yaml', '-i', 'inventory.example.yaml', '-e', `@${join(dir, 'bad.yml')}`]);
    } finally {
      process.stderr.write = write;
    }
    expect(code).toBe(1);
    expect(written.join('')).toMatch(/bad\.yml:\d+: not valid YAML or JSON/);
  });
});
