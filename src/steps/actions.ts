import { createTwoFilesPatch } from 'diff';
import type { Command } from '../transport/quote.js';
import type { Action, Diff } from './types.js';

/** Builders for plan data, so steps never hand-assemble Action objects. */

export function execAction(
  command: Command,
  options: { become?: boolean; stdin?: string | Buffer; timeoutMs?: number; okExitCodes?: number[]; expectStdout?: string } = {},
): Action {
  const action: Action = { type: 'exec', command: command.text };
  if (options.become) action.become = true;
  if (options.stdin !== undefined) action.stdinBase64 = Buffer.from(options.stdin).toString('base64');
  if (options.timeoutMs !== undefined) action.timeoutMs = options.timeoutMs;
  if (options.okExitCodes) action.okExitCodes = options.okExitCodes;
  if (options.expectStdout !== undefined) action.expectStdout = options.expectStdout;
  return action;
}

export function writeFileAction(
  path: string,
  content: string | Buffer,
  options: { mode?: number; owner?: string; group?: string; become?: boolean } = {},
): Action {
  return { type: 'write-file', path, contentBase64: Buffer.from(content).toString('base64'), ...options };
}

export function removeFileAction(path: string, options: { become?: boolean } = {}): Action {
  return { type: 'remove-file', path, ...options };
}

/** Undo for a file whose observed content was `before` (null: it did not exist). */
export function restoreFileAction(
  path: string,
  before: string | Buffer | null,
  options: { mode?: number; owner?: string; group?: string; become?: boolean } = {},
): Action {
  return before === null ? removeFileAction(path, { become: options.become }) : writeFileAction(path, before, options);
}

/** A structured file diff with its unified text (before/after null = absent). */
export function fileDiff(path: string, before: string | null, after: string | null): Diff {
  const unified = createTwoFilesPatch(
    before === null ? '/dev/null' : `a${path}`,
    after === null ? '/dev/null' : `b${path}`,
    before ?? '',
    after ?? '',
    undefined,
    undefined,
    { context: 3 },
  );
  return { type: 'file', path, before, after, unified };
}

export function valueDiff(name: string, before: string | null, after: string | null): Diff {
  return { type: 'value', name, before, after };
}
