/** OpenSSH pattern-lists (ssh_config(5) PATTERNS): comma-separated, `*` and `?`, `!` negates. */

function matchOne(text: string, pattern: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's');
  return re.test(text);
}

/** True when `text` matches a positive pattern of the list and no negated one (case-sensitive). */
export function matchPatternList(text: string, list: string): boolean {
  let positive = false;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (!matchOne(text, pattern)) continue;
    if (negated) return false;
    positive = true;
  }
  return positive;
}
