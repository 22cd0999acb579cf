/**
 * connect(): one ssh2 connection per host (optionally through a jump host), with host key
 * verification, keepalive, connect timeout and auth order key files -> agent -> password.
 * The returned HostConnection runs commands (with become), reads and atomically writes files.
 */
import { createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
// ssh2 is CommonJS: Node's ESM loader only sees its default export.
import ssh2, { type AnyAuthMethod, type Client, type ConnectConfig, type ParsedKey } from 'ssh2';
import type { Readable } from 'node:stream';
import { ConnectError, ExecError, OutputTooLargeError } from '../util/errors.js';
import { planBecome } from './become.js';
import { DEFAULT_MAX_OUTPUT_BYTES } from './capped.js';
import { CommandNotStartedError, commandWord, runOnChannel, type RawResult } from './channel.js';
import { truncatedMessage, warn } from './output-limit.js';
import { buildAuthMethods } from './auth.js';
import { concealIn, connectErrorFor, describeTarget, shown, type HostKeyProblem } from './connecterrors.js';
import { readRemoteFile, writeRemoteFileAtomic } from './files.js';
import { appendKnownHost, knownKeyTypes, loadKnownHosts, verifyHostKey } from './knownhosts.js';
import { sh, type Command } from './quote.js';
import type { ConnectionSpec, ExecOptions, ExecResult, HostConnection, WriteFileOptions } from './types.js';

const KEEPALIVE_INTERVAL_MS = 15_000;
const KEEPALIVE_COUNT_MAX = 4;
/** Host key algorithms ssh2 supports (others in known_hosts, e.g. sk-* keys, cannot be asked for). */
const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

export async function connect(spec: ConnectionSpec): Promise<HostConnection> {
  let jump: SshHostConnection | undefined;
  let sock: Readable | undefined;
  if (spec.jump) {
    try {
      jump = (await connect(spec.jump)) as SshHostConnection;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new ConnectError(spec.name, 'jump', `${describeTarget(spec)}: jump host failed: ${why}`, { cause: err });
    }
    try {
      sock = await jump.forwardTo(spec.host, spec.port);
    } catch (err) {
      await jump.close();
      const why = err instanceof Error ? err.message : String(err);
      throw new ConnectError(spec.name, 'jump', `${describeTarget(spec)}: jump host ${spec.jump.name} cannot reach ${shown(spec, 'host')}:${shown(spec, 'port')}: ${concealIn(spec, why)}`, { cause: err });
    }
  }
  try {
    const client = await openClient(spec, sock);
    return new SshHostConnection(spec, client, jump);
  } catch (err) {
    if (jump) await jump.close();
    throw err;
  }
}

async function openClient(spec: ConnectionSpec, sock?: Readable): Promise<Client> {
  const known = await loadKnownHosts(spec.knownHostsFile);
  const auth = await buildAuthMethods(spec);
  signWithKeyObjects(auth.methods);
  if (auth.methods.length === 0) {
    throw new ConnectError(spec.name, 'auth', `${describeTarget(spec)}: no way to authenticate (${auth.notes.join('; ') || 'no key file, no ssh-agent, no password'})`);
  }
  let hostKeyProblem: HostKeyProblem | undefined;
  const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
    const verdict = verifyHostKey(known, spec.host, spec.port, key);
    if (verdict.status === 'ok') return verify(true);
    if (verdict.status === 'unknown' && spec.acceptNewHostKeys) {
      appendKnownHost(spec.knownHostsFile, spec.host, spec.port, key).then(
        () => verify(true),
        (err: Error) => {
          hostKeyProblem = { verdict, file: spec.knownHostsFile, writeError: err.message };
          verify(false);
        },
      );
      return;
    }
    hostKeyProblem = { verdict, file: spec.knownHostsFile };
    verify(false);
  };
  // Ask first for a host key type we have recorded, so a known host is verified, not "unknown".
  const preferred = knownKeyTypes(known, spec.host, spec.port)
    .flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]))
    .filter((t) => HOST_KEY_ALGORITHMS.includes(t));
  const config: ConnectConfig = {
    host: spec.host,
    port: spec.port,
    username: spec.user,
    readyTimeout: spec.connectTimeoutMs,
    keepaliveInterval: KEEPALIVE_INTERVAL_MS,
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
    hostVerifier,
    authHandler: auth.methods,
  };
  if (preferred.length > 0) {
    // ssh2 skips a prepend that is already listed: remove first; prepend unshifts, so reverse.
    config.algorithms = { serverHostKey: { remove: preferred, prepend: [...preferred].reverse() } as never };
  }
  if (sock) config.sock = sock;
  const client = new ssh2.Client();
  return new Promise<Client>((resolve, reject) => {
    const onError = (err: Error & { level?: string; code?: string }): void => {
      client.removeListener('ready', onReady);
      // The failure is reported below; later errors of this dead client (e.g. "connection lost
      // before handshake" while it shuts down) carry nothing new and must not crash the process.
      client.on('error', () => undefined);
      client.end();
      reject(connectErrorFor(spec, err, hostKeyProblem, auth.tried));
    };
    const onReady = (): void => {
      client.removeListener('error', onError);
      resolve(client);
    };
    client.once('error', onError);
    client.once('ready', onReady);
    client.connect(config);
  });
}

/** The signature hash ssh2 uses for a key type when the server asks for none (keyParser.js). */
const DEFAULT_SIGN_HASH: Record<string, string | null> = {
  'ssh-ed25519': null,
  'ecdsa-sha2-nistp256': 'sha256',
  'ecdsa-sha2-nistp384': 'sha384',
  'ecdsa-sha2-nistp521': 'sha512',
  'ssh-rsa': 'sha1',
};
const wrapped = new WeakSet<ParsedKey>();
/** Private keys as parsed OpenSSL objects, one per key, for the whole run. */
const keyObjects = new Map<string, KeyObject>();

/**
 * ssh2 signs the publickey authentication with the key's PEM text, which OpenSSL parses
 * again on every signature: ~1 ms per connection, the largest per-host cost of a
 * 1000-host audit after the probes' parsing. Sign with a KeyObject parsed once instead
 * (same algorithm, same bytes); anything unexpected falls back to ssh2's own signing.
 */
export function signWithKeyObjects(methods: AnyAuthMethod[]): void {
  for (const method of methods) {
    if (method.type !== 'publickey' || typeof method.key !== 'object' || Buffer.isBuffer(method.key)) continue;
    const key = method.key as ParsedKey;
    // Parsed keys are shared by the connections of a run (auth.ts): wrapped once.
    if (wrapped.has(key)) continue;
    wrapped.add(key);
    const defaultHash = DEFAULT_SIGN_HASH[key.type];
    if (defaultHash === undefined || !key.isPrivateKey()) continue;
    const pem = key.getPrivatePEM();
    let keyObject = keyObjects.get(pem);
    if (!keyObject) {
      try {
        keyObject = createPrivateKey(pem);
      } catch {
        continue;
      }
      keyObjects.set(pem, keyObject);
    }
    const parsedOnce = keyObject;
    const ssh2Sign = key.sign.bind(key);
    key.sign = (data, algo) => {
      try {
        return cryptoSign(typeof algo === 'string' && algo !== '' ? algo : defaultHash, typeof data === 'string' ? Buffer.from(data) : data, parsedOnce);
      } catch {
        return ssh2Sign(data, algo);
      }
    };
  }
}

/**
 * The remote side enforces the timeout too: OpenSSH ignores signal requests for root sessions
 * (no post-auth privilege separation) and closing a channel does not stop its process, so
 * coreutils `timeout` kills the command's process group (TERM, then KILL 2s later; sudo relays
 * TERM to its child). It fires 1s after the local timer, which reports the timeout.
 */
export function withRemoteTimeout(command: Command, timeoutMs: number): Command {
  const seconds = ((timeoutMs + 1_000) / 1_000).toFixed(3);
  return sh`timeout -k 2 ${seconds} sh -c ${command.text}`;
}

/**
 * withRemoteTimeout() of a Command object already sent (the audit sends one ~17 KB probe
 * script to every host): the quoted wrapper is built once, not once per host.
 */
const timeoutWrapped = new WeakMap<Command, { timeoutMs: number; wrapped: Command }>();

function withRemoteTimeoutOnce(command: Command, timeoutMs: number): Command {
  const hit = timeoutWrapped.get(command);
  if (hit && hit.timeoutMs === timeoutMs) return hit.wrapped;
  const wrapped = withRemoteTimeout(command, timeoutMs);
  timeoutWrapped.set(command, { timeoutMs, wrapped });
  return wrapped;
}

export class SshHostConnection implements HostConnection {
  readonly name: string;
  #closed = false;
  #lost: Error | undefined;
  readonly #closedPromise: Promise<void>;

  constructor(
    private readonly spec: ConnectionSpec,
    private readonly client: Client,
    private readonly jump?: SshHostConnection,
  ) {
    this.name = spec.name;
    this.#closedPromise = new Promise((resolve) => client.once('close', () => resolve()));
    // Errors after ready (keepalive timeout, reset): remembered so later commands fail clearly.
    client.on('error', (err) => {
      this.#lost = err;
    });
    client.once('close', () => {
      this.#closed = true;
    });
  }

  /** False once the connection closed or failed: a pool does not lease it again. */
  get alive(): boolean {
    return !this.#closed && this.#lost === undefined && (this.jump?.alive ?? true);
  }

  async exec(command: Command, options: ExecOptions = {}): Promise<ExecResult> {
    const r = await this.#run(command, options);
    const what = options.label ?? `"${commandWord(command)}"`;
    const limit = this.#maxOutputBytes * (options.capFactor ?? 1);
    if (r.discarded.stdout > 0 && !options.partialOutput) throw new OutputTooLargeError(`${truncatedMessage(this.name, what, r.discarded, limit)}; a partial output is never used`);
    const result: ExecResult = {
      stdout: r.stdout.toString('utf8'),
      stderr: r.stderr.toString('utf8'),
      exitCode: r.exitCode,
      signal: r.signal,
      durationMs: r.durationMs,
    };
    if (r.discarded.stdout > 0 || r.discarded.stderr > 0) {
      result.truncated = { ...r.discarded, limit };
      warn(`${truncatedMessage(this.name, what, r.discarded, limit)}; the rest was discarded`);
    }
    return result;
  }

  readFile(path: string, options: { become?: boolean } = {}): Promise<Buffer | null> {
    return readRemoteFile((c, o) => this.#run(c, o), this.name, path, options.become, this.#maxOutputBytes);
  }

  get #maxOutputBytes(): number {
    return this.spec.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  }

  writeFileAtomic(path: string, data: string | Buffer, options: WriteFileOptions = {}): Promise<void> {
    return writeRemoteFileAtomic((c, o) => this.#run(c, o), this.name, path, data, options);
  }

  /** A TCP stream from this host to host:port (used when this host is a jump host). */
  forwardTo(host: string, port: number): Promise<Readable> {
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (err, stream) => (err ? reject(err) : resolve(stream)));
    });
  }

  async close(): Promise<void> {
    if (!this.#closed) {
      this.client.end();
      await Promise.race([this.#closedPromise, new Promise((r) => setTimeout(r, 2_000).unref())]);
      this.#closed = true;
    }
    if (this.jump) await this.jump.close();
  }

  #run(command: Command, options: ExecOptions): Promise<RawResult> {
    if (this.#closed) {
      const why = this.#lost ? `: ${this.#lost.message}` : '';
      return Promise.reject(new CommandNotStartedError(`${this.name}: connection is closed${why}`));
    }
    const become = options.become ?? this.spec.become;
    const plan = become
      ? planBecome(command, this.spec.becomeUser ?? 'root', this.spec.becomePassword)
      : { command, exchange: undefined };
    const timeoutMs = options.timeoutMs ?? this.spec.commandTimeoutMs;
    return runOnChannel(this.client, withRemoteTimeoutOnce(plan.command, timeoutMs), {
      hostName: this.name,
      label: command,
      stdin: options.stdin,
      timeoutMs,
      exchange: plan.exchange,
      maxOutputBytes: this.#maxOutputBytes * (options.capFactor ?? 1),
    });
  }
}
