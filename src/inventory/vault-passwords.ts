/**
 * Where the vault passwords come from: --vault-password-file (an executable file is run, no
 * shell), --vault-id, --ask-vault-pass (no echo) and ANSIBLE_VAULT_PASSWORD_FILE.
 */
import { accessSync, constants as fsConstants, readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Secret } from '../util/secret.js';
import { VaultError, VaultKeyring, type VaultPassword, MAX_PASSWORD_FILE_BYTES, SCRIPT_TIMEOUT_MS } from './vault.js';

export interface VaultOptions {
  vaultPasswordFile?: string[];
  vaultId?: string[];
  askVaultPass?: boolean;
}

export interface VaultSourceDeps {
  env?: NodeJS.ProcessEnv;
  /** Asks for a password on the terminal (without echo). */
  prompt?: (question: string) => Promise<string>;
}

/**
 * The keyring for a command: --vault-id [LABEL@]SOURCE (SOURCE a file or "prompt"),
 * --vault-password-file FILE, --ask-vault-pass, and ANSIBLE_VAULT_PASSWORD_FILE. All are read
 * at once, before any host is touched; an unreadable or empty password file is an error.
 */
export async function vaultKeyringFrom(opts: VaultOptions, deps: VaultSourceDeps = {}): Promise<VaultKeyring> {
  const env = deps.env ?? process.env;
  const prompt = deps.prompt ?? promptPassword;
  const passwords: VaultPassword[] = [];
  const sources: Array<{ label: string; source: string }> = [];
  for (const id of opts.vaultId ?? []) {
    const at = id.indexOf('@');
    const label = at > 0 ? id.slice(0, at) : 'default';
    const source = at >= 0 ? id.slice(at + 1) : id;
    if (source === '') throw new VaultError(`--vault-id "${id}": give [LABEL@]FILE or [LABEL@]prompt`);
    sources.push({ label, source });
  }
  for (const file of opts.vaultPasswordFile ?? []) sources.push({ label: 'default', source: file });
  const envFile = env.ANSIBLE_VAULT_PASSWORD_FILE;
  if (envFile !== undefined && envFile !== '' && !sources.some((s) => s.source === envFile)) sources.push({ label: 'default', source: envFile });
  if (opts.askVaultPass && !sources.some((s) => s.source === 'prompt' && s.label === 'default')) sources.unshift({ label: 'default', source: 'prompt' });
  for (const { label, source } of sources) {
    if (source === 'prompt') {
      const question = label === 'default' ? 'Vault password: ' : `Vault password (${label}): `;
      const answer = (await prompt(question)).trim();
      if (answer === '') throw new VaultError('an empty vault password was given at the prompt');
      passwords.push({ label, password: new Secret(answer), source: 'prompt' });
    } else {
      passwords.push({ label, password: await readPasswordFile(source, label), source });
    }
  }
  return new VaultKeyring(passwords);
}

/**
 * A vault password file: its text without surrounding whitespace, or, when the file is
 * executable, the standard output of running it (as Ansible does: no shell, the file itself
 * is the argv[0]; a "...-client" script also gets --vault-id LABEL).
 */
export async function readPasswordFile(file: string, label = 'default'): Promise<Secret> {
  let info;
  try {
    info = statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VaultError(`cannot read vault password file "${file}": ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
  }
  if (!info.isFile()) throw new VaultError(`vault password file "${file}" is not a regular file`);
  if (isExecutable(file)) return new Secret(await runPasswordScript(file, label));
  if (info.size > MAX_PASSWORD_FILE_BYTES) throw new VaultError(`vault password file "${file}" is ${info.size} bytes; a password file holds one password`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new VaultError(`cannot read vault password file "${file}": ${code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
  }
  const password = text.trim();
  if (password === '') throw new VaultError(`vault password file "${file}" is empty`);
  return new Secret(password);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function runPasswordScript(file: string, label: string): Promise<string> {
  // node:child_process is loaded only when a script runs: it costs every start-up (issue 17).
  const { execFile } = await import('node:child_process');
  const client = /-client(\.[^.]*)?$/.test(basename(file));
  const args = client ? ['--vault-id', label] : [];
  return new Promise((resolvePromise, reject) => {
    // argv only, no shell; stderr goes to ours, so a script may ask on the terminal.
    // The file's own absolute path, never a PATH lookup (as Ansible: realpath of the file).
    const child = execFile(resolve(file), args, { shell: false, timeout: SCRIPT_TIMEOUT_MS, maxBuffer: MAX_PASSWORD_FILE_BYTES, encoding: 'utf8', windowsHide: true }, (err, stdout) => {
      if (err) {
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
        const why =
          e.killed ? `did not finish within ${SCRIPT_TIMEOUT_MS / 1000} s` : typeof e.code === 'number' ? `exited with status ${e.code}` : `could not be run (${e.code ?? e.message}); if it is not a script, remove its executable bit`;
        reject(new VaultError(`vault password script "${file}" ${why}`));
        return;
      }
      const password = stdout.replace(/^[\r\n]+|[\r\n]+$/g, '');
      if (password === '') reject(new VaultError(`vault password script "${file}" printed no password`));
      else resolvePromise(password);
    });
    child.stdin?.end();
    child.stderr?.pipe(process.stderr);
  });
}

/** Asks on the terminal without echo; when stdin is not a terminal, reads its first line. */
export async function promptPassword(question: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    process.stderr.write(`${question}(reading the vault password from standard input, which is not a terminal)\n`);
    return await readFirstLine(input);
  }
  // Echo off before the prompt shows: what is typed after it must never appear.
  input.setRawMode(true);
  input.resume();
  input.setEncoding('utf8');
  process.stderr.write(question);
  try {
    return await new Promise<string>((resolvePromise, reject) => {
      let typed = '';
      const onData = (chunk: string): void => {
        for (const c of chunk) {
          if (c === '\r' || c === '\n' || c === '\u0004') {
            input.off('data', onData);
            process.stderr.write('\n');
            resolvePromise(typed);
            return;
          }
          if (c === '\u0003') {
            input.off('data', onData);
            process.stderr.write('\n');
            reject(new VaultError('vault password prompt interrupted'));
            return;
          }
          if (c === '\u007f' || c === '\b') typed = typed.slice(0, -1);
          else typed += c;
        }
      };
      input.on('data', onData);
    });
  } finally {
    input.setRawMode(false);
    input.pause();
  }
}

function readFirstLine(input: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolvePromise) => {
    let data = '';
    const done = (): void => {
      input.off('data', onData);
      input.off('end', done);
      input.pause();
      resolvePromise(data.split(/\r?\n/)[0]);
    };
    const onData = (chunk: Buffer | string): void => {
      data += chunk.toString();
      if (data.includes('\n')) done();
    };
    input.on('data', onData);
    input.on('end', done);
    input.resume();
  });
}
