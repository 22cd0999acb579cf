/**
 * Ansible play and task keywords mtafleet does not have, each with what to write instead, so a
 * playbook written for Ansible fails at load with "not supported by mtafleet: KEY — ...", never
 * with a bare "unknown key".
 */

const TASK_KEYS: Record<string, string> = {
  block: 'list the tasks directly in the play (when: on each)',
  rescue: 'a failing host is rolled back automatically (auto-rollback); use `mtafleet rollback RUN_ID` for the rest',
  always: 'put the task after the others; handlers run for what changed even when a later task failed',
  with_dict: 'use loop: with a list of mappings ({ key: ..., value: ... })',
  with_nested: 'use loop: with the combinations written out',
  with_fileglob: 'not available: list the files in loop:',
  with_sequence: 'use loop: with the numbers written out',
  until: 'retry inside the shell text (e.g. a loop in shell:)',
  retries: 'retry inside the shell text (e.g. a loop in shell:)',
  delay: 'retry inside the shell text (e.g. a loop in shell:)',
  delegate_to: 'every task runs on the host it plans for; run a separate play for the other host',
  delegate_facts: 'not available',
  run_once: 'limit a separate play to one host (hosts: NAME or --limit)',
  local_action: 'not available: mtafleet runs nothing on the control node',
  async: 'not available: use timeout_seconds: on a command',
  poll: 'not available: use timeout_seconds: on a command',
  environment: 'set the variables in the shell text (shell: "VAR=x cmd")',
  no_log: 'not needed: variables with secret names are redacted everywhere',
  check_mode: 'use `mtafleet plan` or `run --check` for the whole play',
  diff: 'use --diff on the command line',
  throttle: 'use serial: on the play',
  any_errors_fatal: 'use max_fail_percentage: 0 on the play',
  become_user: 'become means root (sudo -n); run as another user with command: argv: [runuser, -u, USER, --, ...]',
  become_method: 'become uses sudo -n',
  become_flags: 'become uses sudo -n',
  remote_user: 'set ansible_user in the inventory',
  connection: 'mtafleet always connects over SSH',
  module_defaults: 'write the arguments on each task',
  collections: 'use fully qualified names or short names',
  debugger: 'not available',
  include_tasks: 'put the tasks in the play',
  import_tasks: 'put the tasks in the play',
  include_role: 'roles are not supported: put the role tasks in the play',
  import_role: 'roles are not supported: put the role tasks in the play',
};

const PLAY_KEYS: Record<string, string> = {
  roles: 'roles are not supported: put the role tasks in the play',
  pre_tasks: 'put them at the start of tasks:',
  post_tasks: 'put them at the end of tasks:',
  vars_prompt: 'pass the values with -e',
  strategy: 'hosts run in parallel up to --forks, in batches of serial:',
  order: 'hosts run in inventory order',
  include_playbook: 'run the other playbook with its own mtafleet command',
  ...Object.fromEntries(
    ['any_errors_fatal', 'become_user', 'become_method', 'become_flags', 'remote_user', 'connection', 'environment', 'module_defaults', 'collections', 'throttle', 'run_once', 'no_log', 'check_mode', 'diff', 'debugger'].map((k) => [k, TASK_KEYS[k]!]),
  ),
};

export function unsupportedTaskKey(key: string): string | undefined {
  return Object.hasOwn(TASK_KEYS, key) ? `not supported by mtafleet: ${key} — ${TASK_KEYS[key]}` : undefined;
}

export function unsupportedPlayKey(key: string): string | undefined {
  return Object.hasOwn(PLAY_KEYS, key) ? `not supported by mtafleet: ${key} — ${PLAY_KEYS[key]}` : undefined;
}
