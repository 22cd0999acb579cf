import { describe, expect, it } from 'vitest';
import { evalWhen, parseWhen, whenHolds, WhenError } from '../../../src/playbook/when.js';
import { Secret } from '../../../src/util/secret.js';

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

describe('when on a secret (inventory or -e)', () => {
  const secretVars = { pw: new Secret('s3cr3t-9'), empty_token: new Secret('') };
  it.each([
    ["pw == 's3cr3t-9'", true],
    ["pw != 's3cr3t-9'", false],
    ["'s3cr3t' in pw", true],
    ['pw', true],
    ['empty_token', false],
    ["empty_token == ''", true],
    ['pw is defined', true],
  ])('%s -> %s (compared by value)', (src, expected) => {
    expect(whenHolds([parseWhen(src)], secretVars)).toBe(expected);
  });

  it('an error shows the secret as ***', () => {
    expect(() => whenHolds([parseWhen('pw > 3')], secretVars)).toThrow('cannot compare "***" > 3');
  });
});
