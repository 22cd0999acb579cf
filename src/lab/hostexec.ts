import { run, type ProcResult } from './proc.js';
import { hostPath } from './paths.js';

/**
 * Runs shell text inside a lab host without ssh: nsenter into the namespaces of the host's
 * sshd (network, mount, hostname), with the environment an ssh session there would get.
 */
export function hostEnv(): NodeJS.ProcessEnv {
  return { PATH: hostPath(), HOME: '/root', USER: 'root', LOGNAME: 'root', SHELL: '/bin/sh', LC_ALL: 'C' };
}

export function runInHost(sshdPid: number, shellText: string, options: { stdin?: string; timeoutMs?: number } = {}): Promise<ProcResult> {
  return run('nsenter', ['--target', String(sshdPid), '--net', '--mount', '--uts', 'sh', '-c', shellText], {
    env: hostEnv(),
    stdin: options.stdin,
    timeoutMs: options.timeoutMs ?? 60_000,
  });
}
