import { describe, expect, it } from 'vitest';
import { parsePlaybook } from '../../../src/playbook/load.js';
import { shellFields } from '../../../src/playbook/shell-fields.js';
import { renderShellText, shellTextProblem } from '../../../src/playbook/template.js';
import { PlaybookError } from '../../../src/util/errors.js';

describe('where a template may sit in shell text', () => {
  it.each([
    ['echo {{ v }}', "echo 'V'"],
    ["printf '%s' {{ v }} > {{ v }}.txt", "printf '%s' 'V' > 'V'.txt"],
    ['a=pre{{ v }}post; echo "$a"', "a=pre'V'post; echo \"$a\""],
    ["echo 'x'{{ v }}\"y\"", "echo 'x''V'\"y\""],
    ['echo $(date) {{ v }} "$(id -u)"', "echo $(date) 'V' \"$(id -u)\""],
    ['x=$((1 << 2)); echo {{ v }}', "x=$((1 << 2)); echo 'V'"],
    ['cat <<EOF\nbody $x\nEOF\necho {{ v }}', "cat <<EOF\nbody $x\nEOF\necho 'V'"],
    ["cat <<-'E' >f\n\t{{ not a template here }}\n\tE\necho {{ v }}", null],
    ['echo a#{{ v }} # done', "echo a#'V' # done"],
    ['grep -c x <<< {{ v }}', "grep -c x <<< 'V'"],
    ['echo \\\\{{ v }}', "echo \\\\'V'"],
    ["sh -c 'echo \"$1\"' _ {{ v }}", "sh -c 'echo \"$1\"' _ 'V'"],
    ['grep -c {{ v }} f; echo -c {{ v }}', "grep -c 'V' f; echo -c 'V'"],
    ['[[ -n $x ]] && test {{ v }} -eq 1', "[[ -n $x ]] && test 'V' -eq 1"],
  ])('%j renders as a quoted word', (text, expected) => {
    if (expected === null) {
      expect(shellTextProblem(text)).toMatch(/here-document/);
      return;
    }
    expect(shellTextProblem(text)).toBeUndefined();
    expect(renderShellText(text, { v: 'V' })).toBe(expected);
  });

  it.each([
    ["echo '{{ v }}'", /inside '\.\.\.' quotes/],
    ['echo "{{ v }}"', /inside "\.\.\." quotes/],
    ['echo "a $(echo {{ v }}) b"', /inside a \$\(\.\.\.\) command substitution/],
    ['echo $(echo {{ v }})', /command substitution/],
    ['echo $( (cd /; echo {{ v }}) )', /command substitution/],
    ['diff <(echo {{ v }}) f', /command substitution/],
    ['echo ${x:-{{ v }}}', /\$\{\.\.\.\} expansion/],
    ['echo $(( {{ v }} + 1 ))', /arithmetic/],
    ['(( {{ v }} > 1 ))', /arithmetic/],
    ['echo ${{ v }}', /right after a \$/],
    ['echo \\{{ v }}', /right after a backslash/],
    ['echo x # {{ v }}', /in a comment/],
    ['cat <<EOF\n{{ v }}\nEOF', /in a here-document/],
    ['cat <<{{ v }}\nx\n', /here-document whose delimiter/],
    ['echo `date` {{ v }}', /after a `\.\.\.` command substitution/],
    ["echo $'a\\'' {{ v }}", /after \$'\.\.\.' quoting/],
    ['x=$(case a in a) echo;; esac) {{ v }}', /case statement/],
    ["echo ${x:-'}'} {{ v }}", /quotes inside a \$\{\.\.\.\}/],
    ["sh -c 'echo {{ v }}'", /inside '\.\.\.' quotes/],
    ["echo 'unterminated {{ v }}", /inside '\.\.\.' quotes/],
    ['eval {{ v }}', /argument of eval/],
    ['eval printf %s {{ v }}', /argument of eval/],
    ['let x={{ v }}', /argument of let/],
    ['trap {{ v }} EXIT', /argument of trap, which runs it as shell code/],
    ['ssh {{ v }} uptime', /argument of ssh, which joins it into shell text/],
    ['/usr/bin/watch -n1 ls {{ v }}', /argument of \/usr\/bin\/watch/],
    ['[[ {{ v }} -eq 1 ]]', /inside \[\[ \.\.\. \]\]/],
    ["[[ -n x ]] && [[ '{{ v }}' ]]", /inside/],
    ['x=1; /bin/sh -c {{ v }} _', /script of \/bin\/sh -c, which runs it as shell code/],
    ['sudo bash -ec pre{{ v }}', /script of sudo bash -ec/],
    ['flock /run/x -c {{ v }}', /script of flock/],
  ])('%j is refused', (text, why) => {
    expect(shellTextProblem(text)).toMatch(why);
    expect(() => renderShellText(text, { v: 'V' })).toThrow(why);
  });

  it('the refusal says how to write it instead', () => {
    expect(shellTextProblem("echo '{{ domain }}'")).toMatch(/write it outside the quotes \(echo 'value: '\{\{ domain \}\}\), or .*sh -c 'echo "\$1"' _ \{\{ domain \}\}/);
    expect(shellTextProblem('sh -c {{ v }}')).toMatch(/can only be a plain word of a command, as data: pass it to a nested shell as an argument/);
  });
});

describe('which command params are shell text', () => {
  const paths = (params: unknown) => shellFields('command', params).fields.map((f) => f.path.join('.'));
  it.each([
    [{ cmd: 'x', unless: 'y', creates: '/z' }, ['cmd', 'unless']],
    [{ argv: ['sh', '-c', 's', '_', 'a'] }, ['argv.2']],
    [{ argv: ['/bin/bash', '-ec', 's'] }, ['argv.2']],
    [{ argv: ['env', 'A=1', 'dash', '-xc', 's', 'sh', '-c'] }, ['argv.4']],
    [{ argv: ['sudo', '-u', 'pmta', 'sh', '-c', 's'] }, ['argv.5']],
    [{ argv: ['su', 'pmta', '-c', 's'] }, ['argv.3']],
    [{ argv: ['printf', '-c', 's'] }, []],
    [{ argv: ['sh', 'script.sh', '-c'] }, []],
  ])('%j -> %j', (params, expected) => {
    expect(paths(params)).toEqual(expected);
  });

  it('a template in the arguments of ssh or watch is refused', () => {
    expect(shellFields('command', { argv: ['ssh', '-p', '22', 'relay', 'echo {{ v }}'] }).problems[0]).toMatchObject({ path: ['argv', 4], message: expect.stringMatching(/argument of ssh/) });
    expect(shellFields('command', { argv: ['watch', '{{ v }}'] }).problems).toHaveLength(1);
  });

  it('a template in a shell option is refused', () => {
    expect(shellFields('command', { argv: ['su', '--command={{ v }}'] }).problems[0].message).toMatch(/shell's options/);
  });

  it('load reports every misplaced template with file, line and path', () => {
    const text = `- hosts: all
  health_gate: { argv: [sh, -c, "test {{ v }}"] }
  tasks:
    - command: { cmd: "echo '{{ v }}'", unless: 'test "{{ v }}"' }
    - command:
        argv: [env, X=1, bash, -c, "echo \\"{{ v }}\\"", _, "{{ v }}"]
    - command: { argv: [echo, "'{{ v }}'"], creates: "/tmp/{{ v }}" }
`;
    let err: unknown;
    try {
      parsePlaybook('/pb.yaml', text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlaybookError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/pb\.yaml:2: plays\[0\]\.health_gate\.argv: health_gate is not templated/);
    expect(msg).toMatch(/pb\.yaml:4: plays\[0\]\.tasks\[0\]\.command\.cmd: \{\{ v \}\} is inside '\.\.\.' quotes/);
    expect(msg).toMatch(/pb\.yaml:4: plays\[0\]\.tasks\[0\]\.command\.unless: \{\{ v \}\} is inside "\.\.\." quotes/);
    expect(msg).toMatch(/pb\.yaml:6: plays\[0\]\.tasks\[1\]\.command\.argv\[4\]: \{\{ v \}\} is inside "\.\.\." quotes/);
    // A non-shell program's argv items and `creates` are data words: no problem for tasks[2].
    expect(msg).not.toMatch(/tasks\[2\]/);
  });
});
