import { describe, expect, it } from 'vitest';
import { evalWhen, parseWhen, whenHolds, WhenError } from '../../../src/playbook/when.js';

const vars = {
  role: 'mta',
  count: 3,
  flag: false,
  text: 'false',
  list: ['a', 'b'],
  conf: { changed: true, skipped: false },
  zero: 0,
};

describe('when', () => {
  it.each([
    ['role', true],
    ['not role', false],
    ['flag', false],
    ['text', false],
    ["role == 'mta'", true],
    ['role != "mta"', false],
    ['count == 3', true],
    ["count == '3'", true],
    ['count > 2 and count <= 3', true],
    ["'a' in list", true],
    ["'c' not in list", true],
    ['conf.changed', true],
    ['conf.skipped or flag', false],
    ['missing is defined', false],
    ['missing is not defined', true],
    ['missing is undefined', true],
    ['role is defined and not (flag or zero)', true],
    ["role in ['mta', 'relay']", true],
    ['true and not false', true],
  ])('%s -> %s', (src, expected) => {
    expect(whenHolds([parseWhen(src)], vars)).toBe(expected);
  });

  it.each(['role ==', 'and', '(role', "role = 'x'", 'role is big', 'a b', '__import__("os")'])('rejects %s', (src) => {
    expect(() => parseWhen(src)).toThrow(WhenError);
  });

  it('an undefined variable is an error naming it', () => {
    expect(() => evalWhen(parseWhen('nope == 1'), vars)).toThrow(/undefined variable "nope"/);
  });
});
