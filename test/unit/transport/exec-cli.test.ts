import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { commandFromWords, renderText, toJson } from '../../../src/cli/exec.js';
import { ConnectError, InputError } from '../../../src/util/errors.js';

describe('exec command words', () => {
  it('one argument is shell text for sh -c; several are an argv', () => {
    const shellText = commandFromWords(['echo a b | tr a-z A-Z; echo $((1+1))']);
    expect(execFileSync('sh', ['-c', shellText.text], { encoding: 'utf8' })).toBe('A B\n2\n');
    const words = commandFromWords(['printf', '%s|', 'a b', '$(id)', ';']);
    expect(execFileSync('sh', ['-c', words.text], { encoding: 'utf8' })).toBe('a b|$(id)|;|');
  });

  it('needs a command', () => {
    expect(() => commandFromWords([''])).toThrow(InputError);
  });
});

describe('exec output', () => {
  const ok = { name: 'mta01', status: 'ok' as const, value: { stdout: 'out', stderr: 'err\n', exitCode: 0, signal: null, durationMs: 3 } };
  const bad = { name: 'mta02', status: 'ok' as const, value: { stdout: '', stderr: '', exitCode: 3, signal: null, durationMs: 3 } };
  const down = { name: 'mta03', status: 'unreachable' as const, error: new ConnectError('mta03', 'unreachable', 'mta03 (root@h:22): unreachable') };

  it('text groups output under an ansible-like header', () => {
    expect(renderText(ok)).toBe('mta01 | rc=0 >>\nout\nerr\n');
    expect(renderText(bad)).toBe('mta02 | FAILED | rc=3 >>\n');
    expect(renderText(down)).toBe('mta03 | UNREACHABLE! => mta03 (root@h:22): unreachable\n');
  });

  it('json has exactly name, exitCode, stdout, stderr, error', () => {
    expect(toJson(ok)).toEqual({ name: 'mta01', exitCode: 0, stdout: 'out', stderr: 'err\n', error: null });
    expect(toJson(down)).toEqual({ name: 'mta03', exitCode: null, stdout: '', stderr: '', error: 'mta03 (root@h:22): unreachable' });
  });
});
