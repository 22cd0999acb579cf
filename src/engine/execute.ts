/** Runs one planned Action on a host and checks its result (exit codes, expected stdout). */
import type { Action } from '../steps/types.js';
import { argv, join, quote, script } from '../transport/quote.js';
import type { ExecResult, HostConnection } from '../transport/types.js';
import { StepError } from '../util/errors.js';

/**
 * With `judged`, an exec action's exit code and output are returned, not checked: the task's
 * failed_when decides (result-conditions.ts).
 */
export async function runAction(conn: HostConnection, action: Action, judged = false): Promise<ExecResult | undefined> {
  switch (action.type) {
    case 'write-file':
      await conn.writeFileAtomic(action.path, Buffer.from(action.contentBase64, 'base64'), {
        mode: action.mode,
        owner: action.owner,
        group: action.group,
        become: action.become,
      });
      return undefined;
    case 'remove-file': {
      const r = await conn.exec(argv('rm', '-f', '--', action.path), { become: action.become });
      if (r.exitCode !== 0) throw new StepError(`${conn.name}: cannot remove ${action.path}: ${tail(r.stderr)} (exit ${r.exitCode})`);
      return undefined;
    }
    case 'exec': {
      // The command text was built by transport/quote.ts when the plan was made.
      const command = script(action.command);
      const r = await conn.exec(command, {
        become: action.become,
        timeoutMs: action.timeoutMs,
        stdin: action.stdinBase64 !== undefined ? Buffer.from(action.stdinBase64, 'base64') : undefined,
        // The action has run whatever it printed: its exit code decides, a cut output is warned about.
        partialOutput: true,
      });
      if (judged) return r;
      const ok = action.okExitCodes ?? [0];
      if (r.exitCode === null || !ok.includes(r.exitCode)) {
        const status = r.exitCode === null ? `killed by ${r.signal ?? 'a signal'}` : `exit ${r.exitCode}`;
        throw new StepError(`${conn.name}: \`${abbreviate(action.command)}\` failed (${status})${r.stderr.trim() ? `: ${tail(r.stderr)}` : ''}`);
      }
      if (action.expectStdout !== undefined && !new RegExp(action.expectStdout).test(r.stdout)) {
        throw new StepError(`${conn.name}: \`${abbreviate(action.command)}\` printed ${JSON.stringify(tail(r.stdout))}, expected /${action.expectStdout}/`);
      }
      return undefined;
    }
  }
}

/** A human description of an action (rollback reports, previews). */
export function describeAction(action: Action): string {
  switch (action.type) {
    case 'exec':
      return action.command;
    case 'write-file': {
      const attrs = [action.mode !== undefined ? `mode ${action.mode.toString(8).padStart(4, '0')}` : '', action.owner ? `owner ${action.owner}` : '']
        .filter(Boolean)
        .join(', ');
      return `write ${action.path} (${Buffer.from(action.contentBase64, 'base64').length} bytes${attrs ? `, ${attrs}` : ''})`;
    }
    case 'remove-file':
      return `rm -f -- ${action.path}`;
  }
}

/** Shell text an operator can run by hand to perform an action (undo that could not run). */
export function manualCommand(action: Action): string {
  switch (action.type) {
    case 'exec':
      return action.command;
    case 'remove-file':
      return argv('rm', '-f', '--', action.path).text;
    case 'write-file': {
      const parts = [`printf %s ${quote(action.contentBase64)} | base64 -d > ${quote(action.path)}`];
      if (action.mode !== undefined) parts.push(argv('chmod', action.mode.toString(8).padStart(4, '0'), '--', action.path).text);
      if (action.owner) parts.push(argv('chown', action.owner, '--', action.path).text);
      if (action.group) parts.push(argv('chgrp', action.group, '--', action.path).text);
      return join('&&', ...parts.map(script)).text;
    }
  }
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-3).join('; ');
}

function abbreviate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
