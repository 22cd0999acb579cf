/**
 * One remote command on an open ssh2 connection: stdin in, stdout/stderr/exit status out,
 * a per-command timeout that kills the channel, and the sudo password exchange.
 */
import type { Client, ClientChannel } from 'ssh2';
import { ExecError } from '../util/errors.js';
import { SudoStderrFilter, type SudoExchange } from './become.js';
import { CappedBuffer } from './capped.js';
import { ReceivedBytes } from './reclaim.js';
import type { Command } from './quote.js';

export interface RawResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  /** Bytes dropped past RunOptions.maxOutputBytes (0 when the whole output was kept). */
  discarded: { stdout: number; stderr: number };
}

export interface RunOptions {
  hostName: string;
  /** The command as the user wrote it, for messages (not the sudo wrapper). */
  label: Command;
  stdin?: string | Buffer;
  timeoutMs: number;
  exchange?: SudoExchange;
  /** Keep at most this many bytes of stdout and of stderr; the rest is read and dropped. */
  maxOutputBytes: number;
}

/**
 * The program name of a command, for messages: `"systemctl" timed out after 30s`. Looks
 * through the `sh -c TEXT` wrapper (exec's shell-text form) to the program inside.
 */
export function commandWord(command: Command): string {
  const words = leadingWords(command.text, 3);
  if (words[0] === 'sh' && words[1] === '-c' && words[2] !== undefined) {
    return leadingWords(words[2], 1)[0] || 'sh';
  }
  return words[0] || command.text.slice(0, 20);
}

/** The first words of shell text, undoing the single quoting quote() applies. */
function leadingWords(text: string, count: number): string[] {
  const words: string[] = [];
  const re = /\s*((?:'[^']*'|\\'|[^\s'\\;|&])+)/y;
  let m: RegExpExecArray | null;
  while (words.length < count && (m = re.exec(text)) !== null) {
    words.push(m[1]!.replace(/'([^']*)'|\\'/g, (_q, inner: string | undefined) => (inner !== undefined ? inner : "'")));
  }
  return words;
}

/**
 * The command never reached the host: the connection was gone or the server opened no
 * channel for it. Nothing ran, so it may be started again on a new connection (pool.ts).
 */
export class CommandNotStartedError extends ExecError {}

export function runOnChannel(client: Client, command: Command, opts: RunOptions): Promise<RawResult> {
  const started = Date.now();
  return new Promise<RawResult>((resolve, reject) => {
    const notStarted = (err: Error): void =>
      reject(new CommandNotStartedError(`${opts.hostName}: cannot start "${commandWord(opts.label)}": ${err.message}`, { cause: err }));
    try {
      client.exec(command.text, (err, stream) => {
        if (err) return notStarted(err);
        collect(stream, opts, started, resolve, reject);
      });
    } catch (err) {
      // ssh2 throws "Not connected" at once when the socket has already closed.
      notStarted(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

function collect(
  stream: ClientChannel,
  opts: RunOptions,
  started: number,
  resolve: (r: RawResult) => void,
  reject: (e: Error) => void,
): void {
  const out = new CappedBuffer(opts.maxOutputBytes);
  const err = new CappedBuffer(opts.maxOutputBytes);
  let exitCode: number | null = null;
  let signal: string | null = null;
  let sawExit = false;
  let settled = false;
  const filter = opts.exchange ? new SudoStderrFilter(opts.exchange, opts.maxOutputBytes) : undefined;

  const timer = setTimeout(() => {
    if (settled) return;
    settled = true;
    // Ask the server to kill the process, then drop the channel (closing its pipes).
    killRemote(stream);
    stream.close();
    const seconds = Math.round(opts.timeoutMs / 100) / 10;
    reject(new ExecError(`${opts.hostName}: "${commandWord(opts.label)}" timed out after ${seconds}s`));
  }, opts.timeoutMs);

  const sendStdin = (): void => {
    if (opts.stdin !== undefined && opts.stdin.length > 0) stream.write(opts.stdin);
    stream.end();
  };

  const received = new ReceivedBytes();
  stream.on('data', (chunk: Buffer) => {
    out.push(chunk);
    received.add(chunk.length);
  });
  stream.stderr.on('data', (chunk: Buffer) => {
    received.add(chunk.length);
    if (!filter) return void err.push(chunk);
    const step = filter.push(chunk);
    if (step.passOn.length > 0) err.push(step.passOn);
    if (step.sendPassword) stream.write(`${opts.exchange!.password.reveal()}\n`);
    if (step.giveUp) stream.end();
    if (step.startedNow) sendStdin();
  });
  stream.on('exit', (code: number | null, sig?: string) => {
    sawExit = true;
    exitCode = typeof code === 'number' ? code : null;
    signal = sig ? String(sig) : null;
  });
  stream.on('close', () => {
    clearTimeout(timer);
    if (settled) return;
    settled = true;
    if (filter && !filter.started) err.push(filter.flush());
    if (!sawExit) {
      reject(new ExecError(`${opts.hostName}: connection lost while running "${commandWord(opts.label)}"`));
      return;
    }
    const discarded = { stdout: out.discarded, stderr: err.discarded + (filter?.discarded ?? 0) };
    resolve({ stdout: out.toBuffer(), stderr: err.toBuffer(), exitCode, signal, durationMs: Date.now() - started, discarded });
  });
  stream.on('error', (e: Error) => {
    clearTimeout(timer);
    if (settled) return;
    settled = true;
    reject(new ExecError(`${opts.hostName}: "${commandWord(opts.label)}" failed: ${e.message}`, { cause: e }));
  });

  if (!filter) sendStdin();
}

/**
 * Send a KILL signal request (OpenSSH kills the session's process group). ssh2's
 * channel.signal() sends nothing once our side of the channel has ended (stdin EOF), which
 * is the usual state, so the request goes through the protocol object in that case.
 */
function killRemote(stream: ClientChannel): void {
  const internal = stream as unknown as {
    outgoing?: { id: number; state: string };
    _client?: { _protocol?: { signal(id: number, name: string): void } };
  };
  try {
    if (stream.writable) stream.signal('KILL');
    else if (internal.outgoing && internal.outgoing.state !== 'closed') internal._client?._protocol?.signal(internal.outgoing.id, 'KILL');
  } catch {
    // A server that refuses signals still ends the command when the channel closes.
  }
}
