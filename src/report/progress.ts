/**
 * Terminal progress on stderr (stdout stays for results and JSON). One line per host event
 * for small batches; past COMPACT_AFTER hosts, one summary line per batch. Events carry host
 * text (errors with remote stderr, lock owners), so every line goes through the sanitiser.
 */
import { safeLine } from '../util/sanitize.js';
import type { EngineEvent, EngineListener } from '../engine/events.js';

export const COMPACT_AFTER = 30;

export function progressPrinter(out: (line: string) => void = (l) => process.stderr.write(l + '\n')): EngineListener {
  const write = (line: string): void => out(safeLine(line));
  let compact = false;
  return (e: EngineEvent) => {
    switch (e.type) {
      case 'batch-start':
        compact = e.hosts.length > COMPACT_AFTER;
        write(`== ${e.play}: batch ${e.batch}/${e.batches} (${e.hosts.length} host(s)${compact ? '' : `: ${e.hosts.join(', ')}`})`);
        return;
      case 'change-applied':
        if (!compact) write(`   ${e.host}: ${e.ok ? 'applied' : 'FAILED'} ${e.summary}${e.error ? `: ${e.error}` : ''}`);
        return;
      case 'task-ignored':
        if (!compact) write(`   ${e.host}: FAILED task "${e.task}": ${e.error} ...ignoring`);
        return;
      case 'rollback':
        if (!compact || !e.ok) write(`   ${e.host}: ${e.ok ? 'undone' : 'NOT UNDONE'} ${e.summary}${e.error ? `: ${e.error}` : ''}`);
        return;
      case 'host-done':
        if (!compact) write(`   ${e.host}: ${e.outcome.status}${e.outcome.error ? ` (${e.outcome.error})` : ''}`);
        return;
      case 'batch-done': {
        const counts: Record<string, number> = {};
        for (const o of e.outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
        write(`   batch ${e.batch} done: ${Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(' ')}`);
        return;
      }
      case 'run-stopped':
        write(`!! ${e.reason}`);
        return;
      default:
        return;
    }
  };
}

/**
 * State of the live (listr2) view: a headline per batch ("p: batch 2/5, 3/4 hosts done,
 * 1 in trouble") and, for batches up to COMPACT_AFTER hosts, the latest host event.
 */
export class BatchView {
  private play = '';
  private batch = '';
  private hosts = new Map<string, string>();
  private compact = false;
  private earlier: Record<string, number> = {};
  private latest = '';

  /** The latest host event, one sanitised line. */
  get lastLine(): string {
    return safeLine(this.latest);
  }

  apply(e: EngineEvent): void {
    switch (e.type) {
      case 'batch-start':
        this.compact = e.hosts.length > COMPACT_AFTER;
        this.hosts = new Map(e.hosts.map((h) => [h, 'waiting']));
        this.play = e.play;
        this.batch = `batch ${e.batch}/${e.batches}`;
        return;
      case 'change-applied':
        if (!this.compact) this.latest = `${e.host}: ${e.ok ? 'applied' : 'FAILED'} ${e.summary}`;
        return;
      case 'task-ignored':
        if (!this.compact) this.latest = `${e.host}: FAILED task "${e.task}" ...ignoring`;
        return;
      case 'rollback':
        if (!this.compact || !e.ok) this.latest = `${e.host}: ${e.ok ? 'undone' : 'NOT UNDONE'} ${e.summary}`;
        return;
      case 'host-done':
        this.hosts.set(e.host, e.outcome.status);
        if (!this.compact) this.latest = `${e.host}: ${e.outcome.status}${e.outcome.error ? ` (${e.outcome.error})` : ''}`;
        return;
      case 'batch-done':
        for (const o of e.outcomes) this.earlier[o.status] = (this.earlier[o.status] ?? 0) + 1;
        return;
      case 'run-stopped':
        this.latest = `stopped: ${e.reason}`;
        return;
      default:
        return;
    }
  }

  get title(): string {
    const states = [...this.hosts.values()];
    const done = states.filter((s) => s !== 'waiting').length;
    const trouble = states.filter((s) => s === 'failed' || s === 'refused' || s === 'unreachable').length;
    const before = Object.entries(this.earlier).map(([k, v]) => `${k}=${v}`).join(' ');
    if (!this.play) return 'connecting';
    return safeLine(`${this.play}: ${this.batch}, ${done}/${states.length} hosts done${trouble ? `, ${trouble} in trouble` : ''}${before ? ` (so far: ${before})` : ''}`);
  }
}

/**
 * Runs `work` under a listr2 view on stderr (for a terminal). The engine's events update the
 * view; stdout stays free for the result.
 */
export async function withLiveProgress<T>(label: string, work: (emit: EngineListener) => Promise<T>): Promise<T> {
  const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
  const view = new BatchView();
  let result: T | undefined;
  const output = new ProcessOutput(process.stderr, process.stderr);
  const list = new Listr(
    [
      {
        title: label,
        task: async (_ctx, task): Promise<void> => {
          result = await work((e) => {
            view.apply(e);
            task.title = `${label}: ${view.title}`;
            if (view.lastLine) task.output = view.lastLine;
          });
          task.title = `${label}: ${view.title}`;
        },
        rendererOptions: { outputBar: true },
      },
    ],
    {
      renderer: 'default',
      rendererOptions: { logger: new ListrLogger({ processOutput: output }) },
      fallbackRenderer: 'silent',
      registerSignalListeners: false,
      exitOnError: true,
    },
  );
  await list.run();
  return result as T;
}

/** Progress for a CLI command: listr2 on a terminal, plain lines otherwise, none for JSON. */
export async function withProgress<T>(label: string, format: string, work: (emit?: EngineListener) => Promise<T>): Promise<T> {
  if (format !== 'text') return work(undefined);
  if (process.stderr.isTTY) return withLiveProgress(label, work);
  return work(progressPrinter());
}
