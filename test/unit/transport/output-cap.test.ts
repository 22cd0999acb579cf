/** Issue #13 item 7: the per-stream output cap, its setting, and bounded config parsing. */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CappedBuffer, DEFAULT_MAX_OUTPUT_BYTES, parseMaxOutput } from '../../../src/transport/capped.js';
import { resolveConnectionSpec } from '../../../src/transport/spec.js';
import { truncatedMessage } from '../../../src/transport/output-limit.js';
import { parsePmtaConfig, ParseBudget, resolveIncludes } from '../../../src/pmta/config.js';
import { CONFIG_FILE_MAX_BYTES, parseConfigOutput } from '../../../src/probes/config.js';
import { InputError } from '../../../src/util/errors.js';

const noConfig = join(__dirname, '../../fixtures/transport/empty_ssh_config');

describe('CappedBuffer', () => {
  it('keeps the first `limit` bytes across chunks and counts the rest', () => {
    const b = new CappedBuffer(10);
    for (const part of ['abcd', 'efgh', 'ijkl', 'mnop']) b.push(Buffer.from(part));
    expect(b.toBuffer().toString()).toBe('abcdefghij');
    expect(b.discarded).toBe(6);
  });

  it('keeps everything under the limit, discarding nothing', () => {
    const b = new CappedBuffer(1024);
    const parts = Array.from({ length: 100 }, (_, i) => Buffer.from(`${i},`));
    for (const p of parts) b.push(p);
    expect(b.toBuffer().equals(Buffer.concat(parts))).toBe(true);
    expect(b.discarded).toBe(0);
  });

  it('never holds more than the limit, however much is pushed', () => {
    const b = new CappedBuffer(64 * 1024);
    const chunk = Buffer.alloc(32 * 1024, 1);
    for (let i = 0; i < 1000; i++) b.push(chunk);
    expect(b.toBuffer().length).toBe(64 * 1024);
    expect(b.toBuffer().buffer.byteLength).toBeLessThanOrEqual(64 * 1024 + 8192);
    expect(b.discarded).toBe(1000 * 32 * 1024 - 64 * 1024);
  });
});

describe('parseMaxOutput', () => {
  it.each([
    ['8m', 8 * 1024 ** 2],
    ['512k', 512 * 1024],
    ['1g', 1024 ** 3],
    ['16MiB', 16 * 1024 ** 2],
    [' 65536 ', 65536],
    [65536, 65536],
  ])('%j -> %d', (text, bytes) => expect(parseMaxOutput(text)).toBe(bytes));

  it.each(['', 'lots', '10', '63k', '2g', '-1m', '1.5m', '8 mb x', null, true])('%j is not a cap', (text) => {
    expect(parseMaxOutput(text)).toBeUndefined();
  });
});

describe('the cap of a host', () => {
  const host = (vars: Record<string, unknown> = {}) => ({ name: 'mta01', vars, groups: ['all'] });
  afterEach(() => {
    delete process.env.MTAFLEET_MAX_OUTPUT;
  });

  it('--max-output > mtafleet_max_output > MTAFLEET_MAX_OUTPUT > 8 MiB', () => {
    const spec = (vars: Record<string, unknown>, flag?: number) =>
      resolveConnectionSpec(host(vars), { sshConfigFile: noConfig, ...(flag !== undefined ? { maxOutputBytes: flag } : {}) }).maxOutputBytes;
    expect(spec({})).toBe(DEFAULT_MAX_OUTPUT_BYTES);
    expect(DEFAULT_MAX_OUTPUT_BYTES).toBe(8 * 1024 * 1024);
    process.env.MTAFLEET_MAX_OUTPUT = '1m';
    expect(spec({})).toBe(1024 * 1024);
    expect(spec({ mtafleet_max_output: '2m' })).toBe(2 * 1024 * 1024);
    expect(spec({ mtafleet_max_output: '2m' }, 3 * 1024 * 1024)).toBe(3 * 1024 * 1024);
  });

  it('a bad value is an input error naming where it came from', () => {
    expect(() => resolveConnectionSpec(host({ mtafleet_max_output: 'huge' }), { sshConfigFile: noConfig })).toThrow(/host mta01: mtafleet_max_output must be a size/);
    process.env.MTAFLEET_MAX_OUTPUT = '5';
    expect(() => resolveConnectionSpec(host(), { sshConfigFile: noConfig })).toThrow(InputError);
    expect(() => resolveConnectionSpec(host(), { sshConfigFile: noConfig })).toThrow(/MTAFLEET_MAX_OUTPUT must be a size.*"5"/);
  });

  it('the warning names host, command, streams and the setting', () => {
    expect(truncatedMessage('mta01', '"cat"', { stdout: 3 * 1024 ** 2, stderr: 0 }, 8 * 1024 ** 2)).toBe(
      'mta01: "cat" printed more than 8 MiB on stdout (mtafleet_max_output); 3 MiB of stdout over the limit',
    );
  });
});

describe('bounded config parsing (audit)', () => {
  it('stops at the node budget, shared across included files, with one error saying so', () => {
    const big = Array.from({ length: 1000 }, (_, i) => `max-smtp-out ${i}`).join('\n');
    const budget = new ParseBudget(150, 4096);
    const main = parsePmtaConfig(`http-mgmt-port 1\ninclude /b\n${big.split('\n').slice(0, 98).join('\n')}`, '/m', budget);
    expect(main.errors).toEqual([]);
    const files = new Map([['/b', big]]);
    const errors: Array<{ file: string; line: number; message: string }> = [];
    const resolved = resolveIncludes(main.nodes, files, (p) => [p], errors, new Set(), budget).nodes;
    // 100 nodes of /m, then 50 of /b: the include used the rest of the budget.
    expect(resolved.length).toBe(99 + 50);
    expect(errors).toEqual([{ file: '/b', line: 51, message: 'too many directives and blocks: the rest of the file is not read' }]);
  });

  it('skips over-long lines with an error, and counts them against the budget', () => {
    const r = parsePmtaConfig(`a 1\nb ${'x'.repeat(5000)}\nc 3`, '/m', new ParseBudget(10, 4096));
    expect(r.nodes.map((n) => (n.type === 'directive' ? n.name : ''))).toEqual(['a', 'c']);
    expect(r.errors).toEqual([{ line: 2, message: 'line longer than 4096 characters, skipped' }]);
  });

  it('without a budget (the editing step) every line is parsed', () => {
    const r = parsePmtaConfig(`b ${'x'.repeat(5000)}`, '/m');
    expect(r.errors).toEqual([]);
    expect(r.nodes).toHaveLength(1);
  });

  it('the config probe says which file the host cut, and keeps no node tree in the facts', () => {
    const stdout = [
      `path\t1\t/etc/pmta/config`,
      `size\t1\t${CONFIG_FILE_MAX_BYTES + 5}`,
      '@@mtafleet-sub file1',
      'http-mgmt-port 1900',
      '@@mtafleet-rc file1 0',
    ].join('\n');
    const r = parseConfigOutput({ stdout, stderr: '', exitCode: 0 });
    expect(r.status).toBe('ok');
    if (r.status !== 'ok') return;
    expect(r.warnings).toContain(`/etc/pmta/config is ${CONFIG_FILE_MAX_BYTES + 5} bytes: only its first ${CONFIG_FILE_MAX_BYTES} were read`);
    expect(r.facts.settings.httpMgmtPort).toBe(1900);
    expect(r.facts).not.toHaveProperty('nodes');
  });
});
