/**
 * Guards for the text files a user hands us (inventory, group_vars/host_vars, playbook):
 * a size limit, so a 100 MB file is refused at once instead of eating memory, and a check
 * that the bytes are UTF-8 text, so binary garbage or a UTF-16 file gets a clear message
 * instead of a cascade of confusing syntax errors.
 */
import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

/** No inventory or playbook worth running is anywhere near this. */
export const MAX_INPUT_BYTES = 10 * 1024 * 1024;

/** Why `size` bytes is too much, or undefined. */
export function sizeProblem(size: number): string | undefined {
  if (size <= MAX_INPUT_BYTES) return undefined;
  return `the file is ${(size / 1024 / 1024).toFixed(1)} MiB, more than the ${MAX_INPUT_BYTES / 1024 / 1024} MiB mtafleet reads (refused unread)`;
}

/** The bytes as text, or why they are not UTF-8 text. */
export function decodeInputText(bytes: Buffer): { text: string } | { problem: string } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { problem: 'the file is UTF-16 encoded (it starts with a UTF-16 byte order mark); save it as UTF-8' };
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const utf16 = bytes.length > 1 && bytes.subarray(0, 64).filter((b) => b === 0).length >= 8;
    return { problem: utf16 ? 'the file looks UTF-16 encoded (NUL bytes between characters); save it as UTF-8' : `the file is binary, not text (NUL byte at offset ${nul})` };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { problem: 'the file is not valid UTF-8 text (binary or another encoding?)' };
  }
  return { text: text.startsWith('\uFEFF') ? text.slice(1) : text };
}

/** Reads a user-supplied text file; throws `fail(message)` for a file that is too big or not text. */
export async function readInputText(path: string, fail: (message: string) => Error): Promise<string> {
  const tooBig = sizeProblem((await stat(path)).size);
  if (tooBig) throw fail(tooBig);
  const decoded = decodeInputText(await readFile(path));
  if ('problem' in decoded) throw fail(decoded.problem);
  return decoded.text;
}

export function readInputTextSync(path: string, fail: (message: string) => Error): string {
  const tooBig = sizeProblem(statSync(path).size);
  if (tooBig) throw fail(tooBig);
  const decoded = decodeInputText(readFileSync(path));
  if ('problem' in decoded) throw fail(decoded.problem);
  return decoded.text;
}
