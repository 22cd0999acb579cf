/**
 * `mtafleet exec -i INV [--limit PAT] [--become] [--forks N] [--format text|json]
 *  [--timeout SECONDS] -- COMMAND [ARG...]`: an ad-hoc command on every selected host.
 *
 * One argument after `--` is shell text, run with `sh -c` (like `ansible -m shell`):
 *   mtafleet exec -i inv.yaml -- 'df -h /var/spool/pmta | tail -1'
 * Several arguments are an argv, each quoted, with no shell interpretation:
 *   mtafleet exec -i inv.yaml -- grep -c 'max-smtp-out' /etc/pmta/config
 *
 * Remote output is what the command is for, so it is printed as is when stdout is a pipe or
 * a file (`> out.txt` keeps the exact bytes). On a terminal, control characters show as
 * visible escapes (like `ls` does with odd file names): a host must not clear the screen or
 * retitle the window. The header line (host, error) is always sanitised; JSON escapes all.
 */
import { Option, type Command as Program } from 'commander';
import { argv, type Command } from '../transport/quote.js';
import type { HostOutcome } from '../transport/index.js';
import type { ExecResult } from '../transport/types.js';
import { InputError } from '../util/errors.js';
import { exitCodeFor, type Outcome } from '../util/outcome.js';
import { safeJson, safeLine, safeText } from '../util/sanitize.js';
import { addCommonOptions, addInventoryOptions, connectionOptionsFrom, forksOption, type CommonOptions, inventoryLoadOptions, type VaultCliOptions } from './common.js';

interface ExecCommandOptions extends CommonOptions, VaultCliOptions {
  inventory: string;
  limit?: string;
  become?: boolean;
  forks: number;
  format: 'text' | 'json';
  timeout?: number;
}

export interface ExecJsonHost {
  name: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  error: string | null;
}

export function register(program: Program): void {
  const cmd = program
    .command('exec')
    .description('run an ad-hoc command on hosts (one argument: shell text for sh -c; several: an argv)')
    .argument('<command...>', 'after --: one argument = shell command line, several = program and arguments')
    .option('--become', 'run through sudo (ansible_become_user, default root)')
    .addOption(forksOption())
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('--timeout <seconds>', 'per-command timeout in seconds').argParser(parseSeconds));
  addInventoryOptions(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText(
    'after',
    `
One argument after -- is a shell command line, run with sh -c (like ansible -m shell):
  mtafleet exec -i inventory.yaml -- 'df -h /var/spool/pmta | tail -1'
Several arguments are a program and its arguments, each passed as is (no shell):
  mtafleet exec -i inventory.yaml --limit gmail -- grep -c max-smtp-out /etc/pmta/config

On a terminal, control characters in the output show as escapes (\\x1b, \\u202e) so a host
cannot clear the screen or retitle the window; piped or redirected, the output is exact.

Exit codes: 0 all hosts ok, 2 a command failed somewhere, 4 a host was unreachable, 6 both.`,
  );
  cmd.action(async (words: string[], opts: ExecCommandOptions) => {
    process.exitCode = await runExec(words, opts);
  });
}

/** One word: the operator's shell text, handed to sh -c as one quoted argument. */
export function commandFromWords(words: string[]): Command {
  if (words.length === 0 || (words.length === 1 && words[0]!.trim() === '')) {
    throw new InputError('exec needs a command after --');
  }
  return words.length === 1 ? argv('sh', '-c', words[0]!) : argv(...words);
}

async function runExec(words: string[], opts: ExecCommandOptions): Promise<number> {
  const command = commandFromWords(words);
  // Loaded when the command runs, not at start-up (issue 17).
  const [{ loadInventory, selectHosts }, { forEachHost, resolveConnectionSpec }] = await Promise.all([import('../inventory/index.js'), import('../transport/index.js')]);
  const inventory = await loadInventory(opts.inventory, await inventoryLoadOptions(opts));
  const hosts = selectHosts(inventory, opts.limit);
  if (hosts.length === 0) throw new InputError(`no hosts match ${opts.limit ? `--limit ${opts.limit}` : 'the inventory'}`);
  const specs = hosts.map((host) =>
    resolveConnectionSpec(host, {
      inventory,
      ...connectionOptionsFrom(opts),
      commandTimeoutMs: opts.timeout,
    }),
  );
  const become = opts.become ? true : undefined;
  const raw = !process.stdout.isTTY;
  const outcomes = await forEachHost(specs, opts.forks, (conn) => conn.exec(command, { become, partialOutput: true }), {
    onDone: (outcome) => {
      // Piece by piece: up to twice mtafleet_max_output of host text is never copied into one string.
      if (opts.format === 'text') for (const part of renderTextParts(outcome, { raw })) process.stdout.write(part);
    },
  });
  if (opts.format === 'json') process.stdout.write(`${safeJson(outcomes.map(toJson), 2)}\n`);
  return exitCodeFor(outcomes.map(execOutcome));
}

/** A host's outcome for exec: its command exiting non-zero (or killed) is a failure. */
export function execOutcome(o: HostOutcome<ExecResult>): Outcome {
  if (o.status !== 'ok') return o.status;
  return o.value?.exitCode === 0 ? 'ok' : 'failed';
}

/**
 * Like ansible's ad-hoc output: `mta01 | rc=0 >>` then the output; `raw` prints the remote
 * output byte for byte (stdout not a terminal), else with control characters made visible.
 */
export function renderText(o: HostOutcome<ExecResult>, opts: { raw: boolean } = { raw: false }): string {
  return renderTextParts(o, opts).join('');
}

export function renderTextParts(o: HostOutcome<ExecResult>, opts: { raw: boolean } = { raw: false }): string[] {
  // UNREACHABLE! / FAILED! / REFUSED!, as the error's class decided.
  if (o.status !== 'ok') return [`${safeLine(`${o.name} | ${o.status.toUpperCase()}! => ${o.error?.message ?? o.status}`)}\n`];
  const r = o.value!;
  const status = r.exitCode === null ? `signal=${r.signal ?? '?'}` : `rc=${r.exitCode}`;
  const label = r.exitCode === 0 ? '' : ' FAILED |';
  const output = opts.raw ? (s: string) => s : safeText;
  const parts = [`${safeLine(`${o.name} |${label} ${status}`)} >>\n`];
  for (const text of [r.stdout, r.stderr]) {
    if (!text) continue;
    const shown = output(text);
    parts.push(shown);
    if (!shown.endsWith('\n')) parts.push('\n');
  }
  return parts;
}

export function toJson(o: HostOutcome<ExecResult>): ExecJsonHost {
  return {
    name: o.name,
    exitCode: o.value?.exitCode ?? null,
    stdout: o.value?.stdout ?? '',
    stderr: o.value?.stderr ?? '',
    error: o.error?.message ?? (o.value && o.value.exitCode === null ? `killed by ${o.value.signal ?? 'a signal'}` : null),
  };
}


function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InputError(`--timeout expects seconds (> 0), got "${value}"`);
  return Math.round(n * 1000);
}
