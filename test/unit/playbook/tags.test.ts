import { describe, expect, it } from 'vitest';
import { taskSelected, parseTagList } from '../../../src/playbook/tags.js';

const t = (...tags: string[]) => ({ tags });

describe('--tags / --skip-tags (Ansible semantics)', () => {
  it.each([
    // [task tags, --tags, --skip-tags, runs?]
    [[], undefined, undefined, true],
    [['net'], undefined, undefined, true],
    [['never'], undefined, undefined, false],
    [['never', 'debug'], ['debug'], undefined, true],
    [['never', 'debug'], ['all'], undefined, false],
    [['net'], ['net'], undefined, true],
    [['net'], ['spool'], undefined, false],
    [[], ['net'], undefined, false],
    [[], ['untagged'], undefined, true],
    [['net'], ['untagged'], undefined, false],
    [['always'], ['spool'], undefined, true],
    [['always'], ['spool'], ['always'], false],
    [['net'], ['all'], undefined, true],
    [['net'], undefined, ['net'], false],
    [['net', 'spool'], ['spool'], ['net'], false],
    [[], undefined, ['untagged'], false],
    [['net'], undefined, ['untagged'], true],
  ] as Array<[string[], string[] | undefined, string[] | undefined, boolean]>)(
    'task %j, --tags %j, --skip-tags %j -> %s',
    (tags, wanted, skip, expected) => {
      expect(taskSelected(t(...tags), { ...(wanted ? { tags: wanted } : {}), ...(skip ? { skipTags: skip } : {}) })).toBe(expected);
    },
  );

  it('parses comma lists and repeated flags', () => {
    expect(parseTagList('a, b,,c', ['x'])).toEqual(['x', 'a', 'b', 'c']);
  });
});
