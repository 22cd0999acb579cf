/**
 * Ansible's free-form `command: WORDS` / `shell: TEXT`: words split the way Python's shlex
 * does in POSIX mode (quotes and backslashes, no expansion), a `{{ ... }}` template kept as one
 * piece of its word, and the module arguments Ansible reads out of the text (`creates=PATH`
 * and friends) taken out.
 */
import { shlexSplit } from '../util/shlex.js';

/** The k=v arguments Ansible's command and shell modules take inside the free form. */
const FREE_FORM_ARGS = new Set(['creates', 'removes', 'chdir', 'executable', 'stdin', 'warn', 'stdin_add_newline', 'strip_empty_ends']);

export class FreeFormError extends Error {}

/** Splits words as Python's shlex.split (POSIX, no comments), a `{{ }}` kept in its word. */
export function splitFreeForm(text: string): string[] {
  try {
    return shlexSplit(text, { templates: true });
  } catch (err) {
    throw new FreeFormError((err as Error).message);
  }
}

/** Takes Ansible's k=v module arguments out of split words: the command's words and the arguments. */
export function takeFreeFormArgs(words: string[]): { words: string[]; args: Record<string, string> } {
  const args: Record<string, string> = {};
  const rest: string[] = [];
  for (const w of words) {
    const m = /^([a-z_]+)=(.*)$/s.exec(w);
    if (m && FREE_FORM_ARGS.has(m[1]!)) args[m[1]!] = m[2]!;
    else rest.push(w);
  }
  return { words: rest, args };
}

/**
 * For `shell:` the text stays shell text; only trailing `key=value` words naming a module
 * argument are taken out (`shell: make install creates=/opt/x`), as Ansible does.
 */
export function takeTrailingShellArgs(text: string): { text: string; args: Record<string, string> } {
  const args: Record<string, string> = {};
  let rest = text;
  for (;;) {
    const m = /\s+([a-z_]+)=('[^']*'|"[^"]*"|[^\s'"]+)\s*$/.exec(rest);
    if (!m || !FREE_FORM_ARGS.has(m[1]!)) break;
    args[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/s, '$2');
    rest = rest.slice(0, m.index);
  }
  return { text: rest, args };
}
