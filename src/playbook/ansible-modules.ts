/**
 * Ansible's module names and arguments, read as mtafleet step kinds where the meaning matches
 * (`ansible.posix.sysctl`, `ansible.builtin.service`, free-form `shell: ...`, `copy`,
 * `lineinfile`, ...). Pure: the same task text always gives the same step, so `apply` re-making
 * a plan from its playbook (plan-source.ts) reads it the same way. An argument whose meaning
 * mtafleet does not have is a problem naming what to write instead, never silently dropped.
 */
import { FreeFormError, splitFreeForm, takeFreeFormArgs, takeTrailingShellArgs } from './free-form.js';

export interface Translation {
  /** mtafleet's step kind. */
  kind: string;
  params: unknown;
  /** Arguments that have no mtafleet meaning: path under the task's module key, and what to do. */
  problems: Array<{ path: Array<string | number>; message: string }>;
}

type Args = Record<string, unknown>;
type Translator = (args: unknown, taskArgs: Args | undefined) => Translation;

const isArgs = (v: unknown): v is Args => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The collections Ansible resolves a short name through (FQCN, ansible.legacy, short). */
function names(short: string, ...collections: string[]): string[] {
  return [short, ...collections.map((c) => `${c}.${short}`), `ansible.legacy.${short}`];
}

/** Renames `from` keys and reports the ones in `refuse` (key -> what to do instead). */
function mapArgs(args: Args, rename: Record<string, string>, refuse: Record<string, string>, problems: Translation['problems']): Args {
  const out: Args = {};
  for (const [k, v] of Object.entries(args)) {
    if (Object.hasOwn(refuse, k)) problems.push({ path: [k], message: `not supported by mtafleet: ${k} — ${refuse[k]}` });
    else out[Object.hasOwn(rename, k) ? rename[k]! : k] = v;
  }
  return out;
}

/** Ansible yes/no spelt as a string in k=v free form or a quoted value. */
function truthy(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(yes|true|on|1)$/i.test(v.trim())) return true;
  if (typeof v === 'string' && /^(no|false|off|0)$/i.test(v.trim())) return false;
  return undefined;
}

const COMMAND_REFUSE: Record<string, string> = {
  chdir: 'write "cd DIR && ..." with shell:',
  removes: 'use unless: "test ! -e PATH"',
  stdin: 'not available: pipe the text in the command itself with shell:',
  executable: 'shell: runs sh; call the shell you want in the text (bash -c ...)',
  warn: 'drop it (Ansible removed it too)',
  expand_argument_vars: 'drop it: arguments are never expanded',
  strip_empty_ends: 'drop it',
};

/**
 * command/shell. Free form: `shell:` text runs through sh -c; `command:` words never go through
 * a shell (Ansible's command module). The mapping form of Ansible's FQCN names reads `cmd` the
 * same way; mtafleet's own short `command: {cmd: ...}` keeps its meaning (shell text, README).
 */
function commandLike(shell: boolean, ownKind: boolean): Translator {
  return (args, taskArgs) => {
    const problems: Translation['problems'] = [];
    let params: Args;
    if (typeof args === 'string') {
      if (shell) {
        const taken = takeTrailingShellArgs(args);
        params = { cmd: taken.text, ...taken.args };
      } else {
        let words: string[];
        try {
          words = splitFreeForm(args);
        } catch (err) {
          if (!(err instanceof FreeFormError)) throw err;
          return { kind: 'command', params: {}, problems: [{ path: [], message: `free-form command: ${err.message}` }] };
        }
        const taken = takeFreeFormArgs(words);
        params = { argv: taken.words, ...taken.args };
      }
    } else if (isArgs(args)) {
      params = { ...args };
      if (!ownKind && !shell && typeof params.cmd === 'string') {
        try {
          params.argv = splitFreeForm(params.cmd);
          delete params.cmd;
        } catch (err) {
          if (!(err instanceof FreeFormError)) throw err;
          problems.push({ path: ['cmd'], message: `cmd: ${err.message}` });
        }
      }
      if (shell && Array.isArray(params.argv)) problems.push({ path: ['argv'], message: 'shell takes text: write cmd:, or use command: with argv:' });
    } else {
      return { kind: 'command', params: args, problems };
    }
    if (taskArgs) Object.assign(params, taskArgs);
    return { kind: 'command', params: refuseArgs(params, problems), problems };
  };
}

function refuseArgs(params: Args, problems: Translation['problems']): Args {
  return mapArgs(params, {}, COMMAND_REFUSE, problems);
}

const sysctl: Translator = (args) => {
  const problems: Translation['problems'] = [];
  if (!isArgs(args)) return { kind: 'sysctl', params: args, problems };
  const out = mapArgs(
    args,
    { sysctl_file: 'file' },
    { ignoreerrors: 'drop it: an unknown key is an error worth seeing', sysctl_set: '', reload: '', state: '' },
    [],
  );
  // The flags mtafleet always honours are accepted when they say what it does anyway.
  if (Object.hasOwn(args, 'state') && args.state !== 'present') problems.push({ path: ['state'], message: 'not supported by mtafleet: state: absent — set the value you want instead' });
  for (const flag of ['sysctl_set', 'reload'] as const) {
    if (Object.hasOwn(args, flag) && truthy(args[flag]) === false) {
      problems.push({ path: [flag], message: `not supported by mtafleet: ${flag}: no — mtafleet sets the runtime value and the drop-in together` });
    }
  }
  if (Object.hasOwn(args, 'ignoreerrors')) problems.push({ path: ['ignoreerrors'], message: 'not supported by mtafleet: ignoreerrors — drop it: an unknown key is an error worth seeing' });
  // Ansible writes numbers unquoted (value: 4096): the step takes text, as sysctl prints it.
  if (typeof out.value === 'number' || typeof out.value === 'boolean') out.value = String(out.value === true ? 1 : out.value === false ? 0 : out.value);
  return { kind: 'sysctl', params: out, problems };
};

const service: Translator = (args) => {
  const problems: Translation['problems'] = [];
  if (!isArgs(args)) return { kind: 'service', params: args, problems };
  const out = mapArgs(
    args,
    {},
    {
      enabled: 'mtafleet does not change boot-time enablement: use command: argv: [systemctl, enable, NAME]',
      daemon_reload: 'use command: argv: [systemctl, daemon-reload] (the systemd_limit step reloads systemd itself)',
      masked: 'use command: argv: [systemctl, mask, NAME]',
      scope: 'only the system scope is managed',
      pattern: 'give the service name',
      sleep: 'drop it: restarts are checked, not timed',
      arguments: 'not available',
      args: 'not available',
      runlevel: 'not available',
      use: 'drop it: the init system is detected',
      no_block: 'drop it',
      force: 'drop it',
    },
    problems,
  );
  return { kind: 'service', params: out, problems };
};

const FILE_ATTR_REFUSE: Record<string, string> = {
  backup: 'drop it: every change is journalled and `mtafleet rollback` restores the old bytes',
  force: 'drop it',
  validate: 'add a command task after it (the play stops on its failure; rollback restores the file)',
  unsafe_writes: 'drop it',
  attributes: 'not available',
  seuser: 'not available',
  serole: 'not available',
  setype: 'not available',
  selevel: 'not available',
  follow: 'drop it',
};

/** Ansible accepts an unquoted octal int (0644 in YAML 1.1 is 420): the mode as octal digits. */
function octalMode(out: Args): void {
  if (typeof out.mode === 'number' && Number.isInteger(out.mode) && out.mode >= 0) out.mode = `0${out.mode.toString(8)}`;
}

const copy: Translator = (args) => {
  const problems: Translation['problems'] = [];
  if (!isArgs(args)) return { kind: 'file', params: args, problems };
  const out = mapArgs(
    args,
    { dest: 'path' },
    {
      ...FILE_ATTR_REFUSE,
      src: 'copying a file from the control node is not available: put its text in content:',
      remote_src: 'not available: use command: argv: [cp, SRC, DEST]',
      directory_mode: 'not available',
      local_follow: 'drop it',
      checksum: 'drop it: the plan compares the bytes',
      decrypt: 'drop it',
    },
    problems,
  );
  octalMode(out);
  return { kind: 'file', params: out, problems };
};

const lineinfile: Translator = (args) => {
  const problems: Translation['problems'] = [];
  if (!isArgs(args)) return { kind: 'file', params: args, problems };
  const out = mapArgs(
    args,
    { dest: 'path', name: 'path', regex: 'regexp' },
    {
      ...FILE_ATTR_REFUSE,
      insertafter: 'not available: a new line is appended at the end (or replaces the line regexp matches)',
      insertbefore: 'not available: a new line is appended at the end (or replaces the line regexp matches)',
      backrefs: 'not available: write the whole line',
      firstmatch: 'drop it',
      search_string: 'use regexp: with the string escaped',
      create: 'not available: the file must exist (or write it whole with copy: content:)',
    },
    problems,
  );
  if (out.state === 'absent') problems.push({ path: ['state'], message: 'not supported by mtafleet: lineinfile state: absent — write the file whole with copy: content:' });
  octalMode(out);
  return { kind: 'file', params: out, problems };
};

/** Ansible's `file` module (state absent/file, owner, group, mode) as mtafleet's `file`. */
const fileModule: Translator = (args) => {
  const problems: Translation['problems'] = [];
  if (!isArgs(args)) return { kind: 'file', params: args, problems };
  const out = mapArgs(args, { dest: 'path', name: 'path' }, { ...FILE_ATTR_REFUSE, recurse: 'not available', src: 'links are not available: use command:', modification_time: 'not available', access_time: 'not available', modification_time_format: 'not available', access_time_format: 'not available' }, problems);
  if (out.state === 'file') out.state = 'present';
  if (typeof out.state === 'string' && !['present', 'absent'].includes(out.state)) {
    problems.push({ path: ['state'], message: `not supported by mtafleet: file state: ${out.state} — only a file's presence (state: file/present), its absence and its owner/group/mode` });
  }
  octalMode(out);
  return { kind: 'file', params: out, problems };
};

const TRANSLATORS = new Map<string, Translator>([
  ...names('command', 'ansible.builtin').map((n) => [n, commandLike(false, n === 'command')] as const),
  ...names('shell', 'ansible.builtin').map((n) => [n, commandLike(true, false)] as const),
  ...names('sysctl', 'ansible.posix').map((n) => [n, sysctl] as const),
  ...[...names('service', 'ansible.builtin'), ...names('systemd', 'ansible.builtin'), ...names('systemd_service', 'ansible.builtin')].map((n) => [n, service] as const),
  ...names('copy', 'ansible.builtin').map((n) => [n, copy] as const),
  ...names('lineinfile', 'ansible.builtin').map((n) => [n, lineinfile] as const),
  ...names('file', 'ansible.builtin').map((n) => [n, fileModule] as const),
]);

/** Ansible modules users reach for that have no mtafleet step: what to write instead. */
const NO_EQUIVALENT: Record<string, string> = {
  template: 'render the text into file: content: with {{ }} variables (templates are read from the playbook, not from files)',
  debug: 'not needed: plans and runs show every value they use',
  set_fact: 'use vars: on the play or task, or -e',
  assert: 'use a command task with unless: or a when: condition',
  fail: 'use a command task that exits non-zero, with when:',
  pause: 'use serial: and health_gate: on the play',
  wait_for: 'use health_gate: on the play, or command: with a loop in the shell text',
  apt: 'use command: argv: [apt-get, install, -y, PKG] with creates: or unless:',
  yum: 'use command: with unless: rpm -q PKG',
  dnf: 'use command: with unless: rpm -q PKG',
  package: 'use command: with unless: (apt-get or dnf)',
  user: 'use command: argv: [useradd, ...] with unless: id NAME',
  group: 'use command: argv: [groupadd, ...] with unless: getent group NAME',
  mount: 'use the spool_migrate step for the spool disk, or command: with unless: findmnt PATH',
  cron: 'use file: for /etc/cron.d/NAME',
  get_url: 'not available: mtafleet makes no network requests of its own',
  uri: 'not available: use command: with curl',
  unarchive: 'use command: argv: [tar, -xf, ...] with creates:',
  git: 'use command: with creates:',
  reboot: 'not available: reboot by hand, then audit',
  raw: 'use shell:',
  script: 'put the script text in shell:',
  blockinfile: 'use copy: content: for the whole file, or lineinfile: line by line',
  replace: 'use lineinfile: with regexp:',
  stat: 'use when: with facts or a command task registered',
  slurp: 'not needed: file: shows the bytes it changes in the plan',
  fetch: 'not available',
  synchronize: 'not available',
  include_vars: 'use vars: or -e @FILE',
  include_tasks: 'put the tasks in the play',
  import_tasks: 'put the tasks in the play',
  include_role: 'roles are not supported: put the role tasks in the play',
  import_role: 'roles are not supported: put the role tasks in the play',
  meta: 'not available',
  setup: 'use gather_facts: true on the play',
  modprobe: 'use command: argv: [modprobe, NAME] with unless: and file: for /etc/modules-load.d/NAME.conf',
  pam_limits: 'use the systemd_limit step (LimitNOFILE) or file: for /etc/security/limits.d/NAME.conf',
};

const SHORT = (key: string): string => key.replace(/^(ansible\.(builtin|legacy|posix)|community\.general)\./, '');

export function translateAnsibleModule(key: string, args: unknown, taskArgs: Args | undefined): Translation | undefined {
  const t = TRANSLATORS.get(key);
  return t ? t(args, taskArgs) : undefined;
}

/** One line for an Ansible module mtafleet has no step for, or undefined when the key is not one. */
export function noEquivalent(key: string): string | undefined {
  const short = SHORT(key);
  if (Object.hasOwn(NO_EQUIVALENT, short)) return `Ansible module ${key} has no mtafleet equivalent: ${NO_EQUIVALENT[short]}`;
  if (/^[a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+$/.test(key)) return `Ansible module ${key} has no mtafleet equivalent: use command:/shell:, or one of the step kinds`;
  return undefined;
}

/** Whether a task key names a module the translation handles (so it counts as the step kind). */
export function isAnsibleModule(key: string): boolean {
  return TRANSLATORS.has(key);
}

/** Whether the task's `args:` may be used (only with command/shell, as in Ansible's free form). */
export function takesArgs(key: string): boolean {
  return /^(ansible\.(builtin|legacy)\.)?(command|shell)$/.test(key);
}

export { truthy };
