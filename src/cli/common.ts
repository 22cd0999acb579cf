import { InvalidArgumentError, Option, type Command } from 'commander';
// Only light modules here: every command's options are built at start-up, --help included (issue 17).
import { parseTagList, selectTasks } from '../playbook/tags.js';
import type { Playbook } from '../playbook/types.js';
import { homedir } from 'node:os';
import { MAX_OUTPUT_RULE, parseMaxOutput } from '../transport/capped.js';
import { join } from 'node:path';
import { collectExtraVar } from './extra-vars.js';
import type { LoadOptions } from '../inventory/load.js';

export { collectExtraVar };

/** Flags every command that talks to hosts accepts (DESIGN.md "Common flags"). */
export interface CommonOptions {
  stateDir: string;
  knownHosts?: string;
  acceptNewHostKeys: boolean;
  sshConfig?: string;
  maxOutput?: number;
  verbose: number;
}

export function defaultStateDir(): string {
  const xdg = process.env.XDG_STATE_HOME;
  return process.env.MTAFLEET_STATE_DIR ?? join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.local', 'state'), 'mtafleet');
}

export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option('--state-dir <dir>', 'journal and run history directory', defaultStateDir())
    .option('--known-hosts <file>', 'known_hosts file (default ~/.ssh/known_hosts)')
    .option('--accept-new-host-keys', 'record unknown host keys (changed keys are still refused)', false)
    .option('--ssh-config <file>', 'ssh_config file (default ~/.ssh/config)')
    .option('--max-output <size>', 'keep at most this much of each remote command\'s stdout and stderr, e.g. 8m (default: mtafleet_max_output, $MTAFLEET_MAX_OUTPUT, 8m)', parseMaxOutputOption)
    .option('-v, --verbose', 'more output (repeatable)', (_v: string, prev: number) => prev + 1, 0);
}

export function addInventoryOptions(cmd: Command): Command {
  return cmd
    .requiredOption('-i, --inventory <path>', 'inventory file (Ansible YAML or INI) or directory of them')
    .option('-l, --limit <pattern>', 'host pattern, as Ansible --limit (a:b, a:&b, a:!b, globs)')
    .option('--vault-password-file <file>', 'Ansible Vault password file (an executable file is run, no shell, and prints the password); repeatable; $ANSIBLE_VAULT_PASSWORD_FILE is used too', collectRepeated)
    .option('--vault-id <[label@]file|prompt>', 'Ansible Vault id: password file or "prompt", for vaults with that label first; repeatable', collectRepeated)
    .option('-J, --ask-vault-pass', 'ask for the Ansible Vault password (no echo)', false);
}

/** The Ansible Vault flags, for commands that load an inventory without -i (apply, rollback). */
export function addVaultOptions(cmd: Command): Command {
  return cmd
    .option('--vault-password-file <file>', 'Ansible Vault password file for the inventory (an executable file is run and prints it); repeatable; $ANSIBLE_VAULT_PASSWORD_FILE is used too', collectRepeated)
    .option('--vault-id <[label@]file|prompt>', 'Ansible Vault id for the inventory; repeatable', collectRepeated)
    .option('-J, --ask-vault-pass', 'ask for the Ansible Vault password of the inventory (no echo)', false);
}

export interface VaultCliOptions {
  vaultPasswordFile?: string[];
  vaultId?: string[];
  askVaultPass?: boolean;
}

/** How to load the inventory: the vault passwords of --vault-password-file, --vault-id, --ask-vault-pass, $ANSIBLE_VAULT_PASSWORD_FILE. */
export async function inventoryLoadOptions(opts: VaultCliOptions): Promise<LoadOptions> {
  const { vaultKeyringFrom } = await import('../inventory/vault.js');
  return { vault: await vaultKeyringFrom(opts) };
}

function collectRepeated(value: string, previous?: string[]): string[] {
  return [...(previous ?? []), value];
}

export function forksOption(): Option {
  // 50: measured in bench/scale.mjs (README "Benchmarks", --forks): as fast as 20 and 100 with a
  // 2-core runner, where 100 and 200 cost 1.7x the memory and 200 was slower.
  return new Option('-f, --forks <n>', 'hosts worked on at once (each holds a connection and its output; see README "Benchmarks")').default(50).argParser(parsePositiveInt);
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError(`expected a whole number of at least 1, got "${value}"`);
  }
  return n;
}

function parseMaxOutputOption(value: string): number {
  const n = parseMaxOutput(value);
  if (n === undefined) throw new InvalidArgumentError(`${MAX_OUTPUT_RULE}, got "${value}"`);
  return n;
}

/** Connection settings from the common flags (added for plan/apply/run/rollback). */
export function connectionOptionsFrom(opts: CommonOptions): { knownHostsFile?: string; acceptNewHostKeys: boolean; sshConfigFile?: string; maxOutputBytes?: number } {
  return {
    ...(opts.knownHosts !== undefined ? { knownHostsFile: opts.knownHosts } : {}),
    acceptNewHostKeys: opts.acceptNewHostKeys,
    ...(opts.sshConfig !== undefined ? { sshConfigFile: opts.sshConfig } : {}),
    ...(opts.maxOutput !== undefined ? { maxOutputBytes: opts.maxOutput } : {}),
  };
}

/** What `plan` and `run` take besides the inventory: extra vars and tag selection. */
export interface PlaybookSelectionOptions {
  extraVars: Record<string, unknown>;
  tags?: string[];
  skipTags?: string[];
}

export function addPlaybookOptions(cmd: Command): Command {
  return cmd
    .option('-e, --extra-vars <key=value|@file|{json}>', 'extra variables: key=value, @FILE (YAML/JSON) or a {...} mapping (repeatable; later wins; highest precedence)', collectExtraVar, {})
    .option('-t, --tags <tags>', 'only tasks with one of these tags (comma-separated, repeatable; as Ansible)', (v: string, p?: string[]) => parseTagList(v, p))
    .option('--skip-tags <tags>', 'skip tasks with one of these tags (comma-separated, repeatable)', (v: string, p?: string[]) => parseTagList(v, p));
}

/** Loads the playbook (errors with file and line) with only the tasks --tags/--skip-tags select. */
export async function loadSelectedPlaybook(file: string, opts: PlaybookSelectionOptions): Promise<Playbook> {
  const { loadPlaybook } = await import('../playbook/load.js');
  return selectTasks(loadPlaybook(file), { ...(opts.tags ? { tags: opts.tags } : {}), ...(opts.skipTags ? { skipTags: opts.skipTags } : {}) });
}

/** `--db` and `--no-history` (audit, run, apply, rollback): where history goes, or that it is not kept. */
export interface HistoryCliOptions {
  db?: string;
  /** commander's --no-history sets this false. */
  history: boolean;
}

export function addHistoryOptions(cmd: Command): Command {
  return cmd
    .option('--db <url>', 'history store: postgres://... or a SQLite file (default: $MTAFLEET_DB, else STATE_DIR/history.sqlite)')
    .option('--no-history', 'do not record this command in the history store');
}
