/**
 * Python's `shlex.split` (posix mode), the one splitter for what Ansible splits with it: an INI
 * host line (`comments: true`, Ansible's INI plugin) and a free-form `command:` (`templates:
 * true` keeps a `{{ ... }}` in one piece of its word). Quotes group and are removed, a backslash
 * escapes the next character (inside double quotes only before `"` or `\`), and with comments
 * `#` outside quotes starts a comment, even in the middle of a word. Throws in plain words, with
 * Python's in parentheses, for an unclosed quote or a trailing backslash.
 */
const WS = new Set([' ', '\t', '\r', '\n']);

export function shlexSplit(text: string, options: { comments?: boolean; templates?: boolean } = { comments: true }): string[] {
  const tokens: string[] = [];
  let token = '';
  let inToken = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (WS.has(c)) {
      if (inToken) tokens.push(token);
      token = '';
      inToken = false;
      i++;
    } else if (options.templates && text.startsWith('{{', i)) {
      const end = text.indexOf('}}', i + 2);
      if (end < 0) throw new Error('a {{ has no closing }}');
      token += text.slice(i, end + 2);
      inToken = true;
      i = end + 2;
    } else if (c === '#' && options.comments) {
      break; // the rest of the line is a comment
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new Error('a backslash at the end of the line escapes nothing (No escaped character)');
      token += text[i + 1];
      inToken = true;
      i += 2;
    } else if (c === '"' || c === "'") {
      inToken = true;
      i++;
      for (;;) {
        if (i >= text.length) throw new Error(`unterminated ${c} quote (No closing quotation)`);
        const q = text[i];
        if (q === c) { i++; break; }
        if (c === '"' && q === '\\' && i + 1 < text.length && (text[i + 1] === '"' || text[i + 1] === '\\')) {
          token += text[i + 1];
          i += 2;
          continue;
        }
        if (c === '"' && q === '\\' && i + 1 >= text.length) throw new Error('a backslash at the end of the line escapes nothing (No escaped character)');
        token += q;
        i++;
      }
    } else {
      token += c;
      inToken = true;
      i++;
    }
  }
  if (inToken) tokens.push(token);
  return tokens;
}
