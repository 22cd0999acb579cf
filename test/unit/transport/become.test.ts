import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { planBecome, SudoStderrFilter } from '../../../src/transport/become.js';
import { commandWord } from '../../../src/transport/channel.js';
import { argv, quote, sh } from '../../../src/transport/quote.js';
import { Secret } from '../../../src/util/secret.js';

describe('planBecome', () => {
  it('without a password: sudo -n -u USER -- sh -c CMD, nothing on stdin', () => {
    const plan = planBecome(argv('echo', "it's"), 'root');
    expect(plan.command.text).toBe(`sudo -n -u root -- sh -c ${quote(`echo 'it'\\''s'`)}`);
    expect(plan.exchange).toBeUndefined();
  });

  it('with a password: sudo -k -S with a random prompt, and the password is not in the command', () => {
    const pw = new Secret('hunter2');
    const a = planBecome(argv('id'), 'pmta', pw);
    const b = planBecome(argv('id'), 'pmta', pw);
    expect(a.command.text).toMatch(/^sudo -k -S -p '?\[mtafleet-sudo-[0-9a-f]+\]'? -u pmta -- sh -c /);
    expect(a.command.text).not.toContain('hunter2');
    expect(a.exchange!.prompt).not.toBe(b.exchange!.prompt);
  });

  it('the inner command prints the start marker, then runs the command unchanged', () => {
    const plan = planBecome(argv('printf', '%s', 'a b'), 'root', new Secret('x'));
    // Run the part after `sh -c` locally (no sudo) to check the wrapper.
    const inner = plan.command.text.slice(plan.command.text.indexOf('-- sh -c ') + '-- sh -c '.length);
    const out = execFileSync('sh', ['-c', `sh -c ${inner} 2>&1`], { encoding: 'utf8' });
    expect(out).toBe(`${plan.exchange!.startMarker}\na b`);
  });
});

describe('SudoStderrFilter', () => {
  const exchange = { prompt: '[mtafleet-sudo-ab]', startMarker: 'mtafleet-start-ab', password: new Secret('pw') };

  it('asks for the password once per prompt (split across chunks), then passes stderr through after the start marker', () => {
    const f = new SudoStderrFilter(exchange);
    expect(f.push(Buffer.from('[mtafleet-su'))).toMatchObject({ sendPassword: false, startedNow: false });
    expect(f.push(Buffer.from('do-ab]'))).toMatchObject({ sendPassword: true, startedNow: false });
    const started = f.push(Buffer.from('mtafleet-start-ab\nreal stderr'));
    expect(started.startedNow).toBe(true);
    expect(started.passOn.toString()).toBe('real stderr');
    expect(f.push(Buffer.from('[mtafleet-sudo-ab]')).passOn.toString()).toBe('[mtafleet-sudo-ab]');
  });

  it('gives up on a second prompt (wrong password) and returns sudo messages without the prompts', () => {
    const f = new SudoStderrFilter(exchange);
    f.push(Buffer.from('[mtafleet-sudo-ab]'));
    const again = f.push(Buffer.from('Sorry, try again.\n[mtafleet-sudo-ab]'));
    expect(again).toMatchObject({ sendPassword: false, giveUp: true });
    expect(f.flush().toString()).toBe('Sorry, try again.\n');
  });

  it('starts without a prompt when sudo does not ask', () => {
    const f = new SudoStderrFilter(exchange);
    expect(f.push(Buffer.from('mtafleet-start-ab\n'))).toMatchObject({ sendPassword: false, startedNow: true });
  });
});

describe('commandWord', () => {
  it.each([
    [argv('systemctl', 'reload', 'pmta'), 'systemctl'],
    [argv('sh', '-c', 'sleep 20; echo x'), 'sleep'],
    [argv('/usr/sbin/pmta', 'reload'), '/usr/sbin/pmta'],
    [argv("my prog", 'x'), 'my prog'],
    [sh`df -h | tail -1`, 'df'],
  ])('%#', (cmd, word) => {
    expect(commandWord(cmd)).toBe(word);
  });
});
