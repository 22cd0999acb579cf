import type { Command } from './quote.js';
import type { Secret } from '../util/secret.js';

/** How to reach one host: resolved from inventory vars and ssh_config. */
export interface ConnectionSpec {
  /** Inventory name of the host (for messages). */
  name: string;
  /** Address or DNS name to connect to (ansible_host, or ssh_config HostName, or name). */
  host: string;
  port: number;
  user: string;
  privateKeyFiles: string[];
  passphrase?: Secret;
  password?: Secret;
  become: boolean;
  becomeUser?: string;
  becomePassword?: Secret;
  /** A jump host spec (ProxyJump / mtafleet_jump), already resolved. */
  jump?: ConnectionSpec;
  /** known_hosts file to verify against (mtafleet_known_hosts, --known-hosts, ~/.ssh/known_hosts). */
  knownHostsFile: string;
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /** Cap on each command's stdout and on its stderr (mtafleet_max_output); default 8 MiB. */
  maxOutputBytes?: number;
  /** Parts that came from Ansible Vault (secrets): messages show *** instead. */
  concealed?: Array<'host' | 'user' | 'port'>;
}

export interface ExecOptions {
  /** Bytes for the command's standard input. */
  stdin?: string | Buffer;
  /** Run through sudo (sudo -n, or sudo -S with the become password on stdin). */
  become?: boolean;
  /** Per-command timeout; defaults to the connection's commandTimeoutMs. */
  timeoutMs?: number;
  /**
   * Output past the connection's maxOutputBytes is dropped. By default a command whose stdout
   * was cut fails (ExecError): its caller parses it, and a partial listing or file must never
   * become a plan or an undo. Callers that only show or scan the output pass true and get
   * `truncated` in the result instead.
   */
  partialOutput?: boolean;
  /** This command may keep `capFactor` times the connection's maxOutputBytes (the probe batch). */
  capFactor?: number;
  /** What the command is, for the truncation warning (default: its program name). */
  label?: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** null when the command was killed by a signal. */
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  /** Present when output was cut at the cap (`limit` bytes per stream): bytes dropped from each stream. */
  truncated?: { stdout: number; stderr: number; limit: number };
}

export interface WriteFileOptions {
  mode?: number;
  owner?: string;
  group?: string;
  become?: boolean;
}

/** One open connection to one host. All probes and steps of a host share it. */
export interface HostConnection {
  readonly name: string;
  exec(command: Command, options?: ExecOptions): Promise<ExecResult>;
  /** File bytes, or null when the file does not exist. */
  readFile(path: string, options?: { become?: boolean }): Promise<Buffer | null>;
  /** Write temp in the same directory, fsync, rename; keeps mode and owner of an existing file. */
  writeFileAtomic(path: string, data: string | Buffer, options?: WriteFileOptions): Promise<void>;
  close(): Promise<void>;
}
