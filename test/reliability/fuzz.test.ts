/**
 * Property tests over the parsers that read user input: whatever text arrives, they either
 * return a result or throw the typed input error (InventoryError / PlaybookError); the config
 * parser never throws and reports errors. No case may take long (a hang shows as a slow case).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../src/inventory/index.js';
import { parsePlaybook } from '../../src/playbook/index.js';
import { parsePmtaConfig } from '../../src/pmta/config.js';
import { InventoryError, PlaybookError } from '../../src/util/errors.js';

const CASE_MS = 1_000;

/** YAML-ish text: fragments that exercise mappings, lists, anchors, aliases, merge keys, tags, quoting. */
const yamlToken = fc.constantFrom(
  'all:', 'hosts:', 'children:', 'vars:', 'tasks:', 'handlers:', '- ', '  ', '    ', '\n', ': ', '{', '}', '[', ']', ',',
  '&a ', '*a', '<<: *a', '!!str ', '!!binary ', '!custom ', '"', "'", '#', '---', '...', '|', '>', '?', '%YAML 1.1\n',
  'h1', 'mta[01:20]', 'mta[a:z]', 'ansible_port: ', '99999', 'yes', '~', 'null', '{{ x }}', '$(id)', '`id`', ';', '\t', '\r\n', '\u0000', '\uFEFF',
  'sysctl: ', 'name: ', 'value: ', 'file: ', 'path: ', 'when: ', 'x == 1 and (', 'serial: ', '"30%"', 'notify: ', 'become: ',
);
const yamlish = fc.oneof(fc.array(yamlToken, { maxLength: 60 }).map((t) => t.join('')), fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 200 }));

const iniToken = fc.constantFrom('[mta]', '[mta:vars]', '[mta:children]', '\n', ' ', '=', 'h1', 'ansible_port=22', 'x="a b"', "'", '#', ';', 'mta[1:3]', '[', ']', ':', '$(id)', '\u0000');
const iniish = fc.oneof(fc.array(iniToken, { maxLength: 50 }).map((t) => t.join('')), fc.string({ maxLength: 300 }));

const configToken = fc.constantFrom(
  '<domain gmail.com>', '</domain>', '<virtual-mta v1>', '</virtual-mta>', '<source 0/0>', '</source>', '<', '>', '</', '\n', ' ', '\t', '#',
  'max-smtp-out 20', 'include /etc/pmta/*.conf', 'spool /var/spool/pmta', 'smtp-listener 0/0:25', '\\', '"', '\r\n', '\u0000',
);
const configish = fc.oneof(fc.array(configToken, { maxLength: 60 }).map((t) => t.join('')), fc.string({ maxLength: 400 }));

function timed<T>(fn: () => T): T {
  const started = performance.now();
  try {
    return fn();
  } finally {
    const ms = performance.now() - started;
    if (ms > CASE_MS) throw new Error(`one case took ${ms.toFixed(0)} ms`);
  }
}

function onlyTyped(fn: () => unknown, allowed: Function): void {
  try {
    timed(fn);
  } catch (err) {
    if (!(err instanceof allowed)) throw err;
    // A typed error still says where: a line number, and never an empty message.
    expect((err as Error).message.length).toBeGreaterThan(0);
  }
}

describe('fuzz: parsers never crash or hang on arbitrary input', () => {
  it('parseInventory (YAML)', () => {
    fc.assert(fc.property(yamlish, (text) => onlyTyped(() => parseInventory(text, 'fuzz.yaml'), InventoryError)), { numRuns: 400 });
  });

  it('parseInventory (INI)', () => {
    fc.assert(fc.property(iniish, (text) => onlyTyped(() => parseInventory(text, 'fuzz.ini'), InventoryError)), { numRuns: 400 });
  });

  it('parsePlaybook', () => {
    fc.assert(fc.property(yamlish, (text) => onlyTyped(() => parsePlaybook('/fuzz/pb.yaml', text), PlaybookError)), { numRuns: 400 });
  });

  it('parsePlaybook with a valid play and arbitrary step params', () => {
    const params = fc.jsonValue({ maxDepth: 3 });
    const kind = fc.constantFrom('sysctl', 'file', 'command', 'pmta-config', 'service', 'spool-migrate', 'systemd-limit');
    fc.assert(
      fc.property(kind, params, fc.string({ maxLength: 40 }), (k, p, when) => {
        const text = JSON.stringify([{ hosts: 'all', tasks: [{ name: 't', [k]: p, when }] }]);
        onlyTyped(() => parsePlaybook('/fuzz/pb.yaml', text), PlaybookError);
      }),
      { numRuns: 400 },
    );
  });

  it('parsePmtaConfig never throws and returns nodes and errors', () => {
    fc.assert(
      fc.property(configish, (text) => {
        const parsed = timed(() => parsePmtaConfig(text, '/etc/pmta/config'));
        expect(Array.isArray(parsed.nodes)).toBe(true);
        for (const e of parsed.errors) expect(e.line).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 600 },
    );
  });
});
