/**
 * Maps keyed by text from hosts or files (domains, IPs, directive names, host names).
 * A plain `{}` inherits from Object.prototype: `o['__proto__'] = v` replaces its prototype,
 * `o['constructor'] ??= v` returns Object instead of a fresh entry, and `o[k].n += 1` then
 * writes onto Object.prototype for the whole process. A null-prototype object has none of
 * that: every key is an ordinary own property, and JSON.stringify prints it like `{}`.
 */

/** A null-prototype object, optionally filled from entries (later entries win). */
export function dict<T>(entries?: Iterable<readonly [string, T]>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  if (entries) for (const [k, v] of entries) out[k] = v;
  return out;
}

/** `obj[key]` only when it is the object's own property (never an inherited one). */
export function own<T>(obj: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Appends `value` to the list under `key` in `map` (creating it): grouping without copying lists. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
