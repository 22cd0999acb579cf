/**
 * `mtafleet audit`: probe hosts read-only, diagnose, render. stdout carries only the report
 * (or nothing, with --out); progress goes to stderr, and only on a TTY in table format.
 * Exit code from auditExitCode(): findings alone exit 0 unless --fail-on asks otherwise.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { AuditProgress, FailOn } from '../audit/index.js';
import { AUDIT_FORMATS, type AuditFormat } from '../report/formats.js';
import { addCommonOptions, addHistoryOptions, type HistoryCliOptions, addInventoryOptions, connectionOptionsFrom, forksOption, parsePositiveInt, type CommonOptions, inventoryLoadOptions, type VaultCliOptions } from './common.js';

interface AuditCliOptions extends CommonOptions, VaultCliOptions, HistoryCliOptions {
  compare?: string;
  inventory: string;
  limit?: string;
  forks: number;
  format: AuditFormat;
  out?: string;
  window?: number;
  benchmarkDisk: boolean;
  failOn?: FailOn;
  /** commander's --no-incremental sets this false. */
  incremental: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('audit')
    .description("probe hosts (read-only), find the layer that caps each host's delivery rate, and say what to do")
    .addHelpText(
      'after',
      '\nExit codes: 0 every host probed; 4 a host unreachable; 2 a host reachable but not fully probed\n' +
        '(2|4 = 6). Findings do not change the exit code unless --fail-on is given.',
    );
  addInventoryOptions(cmd);
  cmd
    .addOption(forksOption().argParser(asArgumentError(parsePositiveInt)))
    .addOption(new Option('--format <format>', 'report format').choices(AUDIT_FORMATS).default('table'))
    .option('-o, --out <file>', 'write the report to FILE (mode 0644) and print a one-line summary')
    .option('--window <hours>', 'accounting window in hours, ending at the newest record (default 24)', parseHours)
    .option('--benchmark-disk', 'also run an fio benchmark of the spool disk (puts write load on the host)', false)
    .option('--no-incremental', 'analyse the whole accounting window again instead of only what was appended since the last audit')
    .addOption(new Option('--fail-on <level>', 'exit 2 when a finding of this severity or worse exists').choices(['warn', 'critical']))
    .option('--compare <last|audit-id>', 'after the audit, show what changed since that recorded audit (new and resolved findings, rates that moved most)');
  addHistoryOptions(cmd);
  addCommonOptions(cmd);
  cmd.action(async (opts: AuditCliOptions) => {
    process.exitCode = await runAudit(opts);
  });
}

export async function runAudit(opts: AuditCliOptions): Promise<number> {
  // Loaded when the command runs, not at start-up (issue 17).
  const [{ auditExitCode, auditFleet }, { loadInventory, selectHosts }, { renderAudit, summaryLine, writeReportFile }, { renderJsonChunks }, { auditRecord, renderComparison }, { compareBase, comparison, newAuditId, recordAudit, who }] = await Promise.all([
    import('../audit/index.js'),
    import('../inventory/index.js'),
    import('../report/index.js'),
    import('../report/json.js'),
    import('../history/index.js'),
    import('./history-record.js'),
  ]);
  const inventory = await loadInventory(opts.inventory, await inventoryLoadOptions(opts));
  const hosts = selectHosts(inventory, opts.limit);
  // Read before any host is touched: an unknown audit id is bad input.
  const base = opts.compare !== undefined ? await compareBase(opts, opts.compare) : undefined;
  const auditId = newAuditId();
  const startedAt = Date.now();
  const showProgress = opts.format === 'table' && process.stderr.isTTY === true;
  // Decided before listr2 runs: its forceTTY marks stdout as a TTY too.
  const color = opts.out === undefined && process.stdout.isTTY === true && !noColor();
  const audit = (onProgress?: (p: AuditProgress) => void) =>
    auditFleet(hosts, {
      forks: opts.forks,
      ...(opts.window !== undefined ? { windowHours: opts.window } : {}),
      benchmarkDisk: opts.benchmarkDisk,
      ...(opts.incremental !== false ? { cursorStateDir: opts.stateDir } : {}),
      connection: connectionOptionsFrom(opts),
      ...(onProgress ? { onProgress } : {}),
    });
  const report = showProgress ? await withFleetProgress(hosts.length, audit) : await audit();
  const record = auditRecord(report, {
    auditId,
    at: startedAt,
    who: who(),
    params: { inventory: opts.inventory, limit: opts.limit ?? null, forks: opts.forks, windowHours: opts.window ?? 24, benchmarkDisk: opts.benchmarkDisk, incremental: opts.incremental !== false },
  });
  const compare = comparison(base, record);
  const storeDown = base !== undefined && 'storeDown' in base ? base.storeDown : undefined;
  // The audit JSON contract plus `auditId` (first) and `compare` (last): additive members.
  const shown = { auditId, ...report, ...(compare !== undefined ? { compare } : {}) };
  const code = auditExitCode(report, opts.failOn);

  if (opts.format === 'json' && opts.out === undefined) {
    // Host by host: a 1000-host report never becomes one 30 MB string.
    await writeChunks(process.stdout, renderJsonChunks(shown));
    await recordAudit(opts, record, storeDown);
    return code;
  }
  let text = renderAudit(opts.format === 'json' ? shown : report, opts.format, {
    color,
    inventoryFile: opts.inventory,
    generatedAt: new Date().toISOString(),
  });
  if (opts.format === 'table') {
    text += `audit id ${auditId}${opts.history === false ? ' (not recorded: --no-history)' : ''}\n`;
    if (compare !== undefined) text += 'unavailable' in compare ? `compare: ${compare.unavailable}\n` : renderComparison(compare);
  }
  if (opts.out !== undefined) {
    await writeReportFile(opts.out, text);
    // JSON mode keeps stdout for JSON only, so the note goes to stderr there.
    const note = `${opts.format} report written to ${opts.out}: ${summaryLine(report)}\n`;
    (opts.format === 'json' ? process.stderr : process.stdout).write(note);
  } else {
    process.stdout.write(text);
  }
  await recordAudit(opts, record, storeDown);
  return code;
}

/** Write text chunk by chunk, waiting for the stream to drain when its buffer is full. */
async function writeChunks(stream: NodeJS.WritableStream, chunks: Iterable<string>): Promise<void> {
  for (const chunk of chunks) {
    if (stream.write(chunk)) continue;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        stream.off('drain', done);
        stream.off('error', done);
        if (err) reject(err);
        else resolve();
      };
      stream.on('drain', done);
      stream.on('error', done);
    });
  }
}

/** https://no-color.org: set and not empty disables colour. */
function noColor(): boolean {
  return (process.env.NO_COLOR ?? '') !== '';
}

/** commander reports InvalidArgumentError as bad input (exit 1); any other throw is a crash (70). */
function asArgumentError<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
    }
  };
}

function parseHours(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 24 * 366) throw new InvalidArgumentError(`expected whole hours from 1 to 8784, got "${value}"`);
  return n;
}

/**
 * Progress on stderr: one listr2 line counting hosts ("probing 12/50 hosts"), not a row per
 * host, so a fleet of 1000 stays one line.
 */
async function withFleetProgress<T>(total: number, work: (onProgress: (p: AuditProgress) => void) => Promise<T>): Promise<T> {
  const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
  let result: T | undefined;
  // forceTTY (below) sets isTTY on both streams for good; put them back once the line is drawn.
  const wasTTY = { out: process.stdout.isTTY, err: process.stderr.isTTY };
  const output = new ProcessOutput(process.stderr, process.stderr);
  const list = new Listr(
    [
      {
        title: progressTitle({ done: 0, total, unreachable: 0, failed: 0 }),
        task: async (_ctx, task): Promise<void> => {
          const counts = { done: 0, total, unreachable: 0, failed: 0 };
          result = await work((p) => {
            counts.done = p.done;
            if (p.status === 'unreachable') counts.unreachable += 1;
            if (p.status === 'failed') counts.failed += 1;
            task.title = progressTitle(counts);
          });
          task.title = progressTitle(counts).replace(/^probing/, 'probed');
        },
      },
    ],
    {
      renderer: 'default',
      rendererOptions: { logger: new ListrLogger({ processOutput: output }) },
      fallbackRenderer: 'silent',
      // listr2 judges TTY by stdout; we draw on stderr, already checked to be a TTY.
      forceTTY: true,
      exitOnError: true,
    },
  );
  try {
    await list.run();
  } finally {
    process.stdout.isTTY = wasTTY.out;
    process.stderr.isTTY = wasTTY.err;
  }
  return result as T;
}

function progressTitle(c: { done: number; total: number; unreachable: number; failed: number }): string {
  const trouble = [c.unreachable > 0 ? `${c.unreachable} unreachable` : '', c.failed > 0 ? `${c.failed} failed` : ''].filter(Boolean);
  return `probing ${c.done}/${c.total} hosts${trouble.length > 0 ? ` (${trouble.join(', ')})` : ''}`;
}
