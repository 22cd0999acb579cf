/**
 * Ansible's free-form `command: WORDS` / `shell: TEXT`: words split the way Python's shlex
 * does in POSIX mode (quotes and backslashes, no expansion), a `{{ ... }}` template kept as one
 * piece of its word, and the module arguments Ansible reads out of the text (`creates=PATH`
 * and friends) taken out.
 */

/** The k=v arguments Ansible's command and shell modules take inside the free form. */
const FREE_FORM_ARGS = new Set(['creates', 'removes', 'chdir', 'executable', 'stdin', 'warn', 'stdin_add_newline', 'strip_empty_ends']);

export class FreeFormError extends Error {}

/** Splits words like Python's shlex.split (POSIX): '...' literal, "..." with \\ and \" escapes, \ outside quotes. */
export function splitFreeForm(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (text.startsWith('{{', i)) {
      const end = text.indexOf('}}', i + 2);
      if (end < 0) throw new FreeFormError('a {{ has no closing }}');
      word += text.slice(i, end + 2);
      inWord = true;
      i = end + 2;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new FreeFormError('a single quote is not closed');
      word += text.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i += 1;
      for (;;) {
        if (i >= text.length) throw new FreeFormError('a double quote is not closed');
        const d = text[i]!;
        if (d === '"') break;
        // shlex (POSIX): inside double quotes a backslash escapes only \\ and "
        if (d === '\\' && i + 1 < text.length && (text[i + 1] === '\\' || text[i + 1] === '"')) {
          word += text[i + 1];
          i += 2;
        } else {
          word += d;
          i += 1;
        }
      }
      inWord = true;
      i += 1;
    } else if (c === '\\') {
      if (i + 1 < text.length) word += text[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i += 1;
    } else {
      word += c;
      inWord = true;
      i += 1;
    }
  }
  if (inWord) words.push(word);
  return words;
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
