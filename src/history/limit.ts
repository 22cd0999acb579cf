/**
 * `history --limit` without an inventory: the pattern's terms matched against the host names
 * the store knows, as Ansible matches host names (globs, `~regex`, `a:b` / `a,b` unions,
 * `&` intersections, `!` exclusions). Group names need the inventory (`-i`), which resolves them.
 */
import { globToRegExp, splitPattern } from '../inventory/pattern.js';
import { InputError } from '../util/errors.js';

export function matchHostNames(names: readonly string[], pattern: string): string[] {
  const terms = splitPattern(pattern);
  if (terms.length === 0) throw new InputError(`--limit "${pattern}": no host pattern`);
  const match = (body: string): Set<string> => {
    if (body === 'all' || body === '*') return new Set(names);
    let re: RegExp;
    try {
      re = body.startsWith('~') ? new RegExp(`^(?:${body.slice(1)})`) : globToRegExp(body);
    } catch (err) {
      throw new InputError(`--limit "${pattern}": ${(err as Error).message}`);
    }
    return new Set(names.filter((n) => re.test(n)));
  };
  const unions = terms.filter((t) => !t.startsWith('&') && !t.startsWith('!'));
  let out = new Set<string>();
  for (const t of unions.length > 0 ? unions : ['all']) for (const n of match(t)) out.add(n);
  for (const t of terms.filter((x) => x.startsWith('&'))) {
    const keep = match(t.slice(1));
    out = new Set([...out].filter((n) => keep.has(n)));
  }
  for (const t of terms.filter((x) => x.startsWith('!'))) for (const n of match(t.slice(1))) out.delete(n);
  return names.filter((n) => out.has(n));
}
