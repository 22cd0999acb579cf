/**
 * Facts are parsed out of the host's whole batch output (~40 KB) with split() and slice().
 * V8 keeps such a substring (13 characters or more) as a view on the string it came from, so
 * one kept timestamp holds the host's whole output in memory: ~30 KB per host, ~30 MB per
 * 1000 hosts. detachStrings() copies the facts with every string in storage of its own,
 * so the output can be freed as soon as the host is parsed.
 */

/** A deep copy of plain JSON-like data whose strings share nothing with other strings. */
export function detachStrings<T>(value: T): T {
  return copy(value) as T;
}

function copy(value: unknown): unknown {
  if (typeof value === 'string') return ownString(value);
  if (Array.isArray(value)) return value.map((item) => copy(item));
  if (value !== null && typeof value === 'object' && isPlain(value)) {
    const source = value as Record<string, unknown>;
    // Host-keyed maps are null-prototype (util/dict): the copy stays one.
    const out = (Object.getPrototypeOf(value) === null ? Object.create(null) : {}) as Record<string, unknown>;
    for (const key of Object.keys(source)) {
      // A key named "__proto__" (host data) must stay a key, not become the prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value: copy(source[key]), enumerable: true, writable: true, configurable: true });
      else out[key] = copy(source[key]);
    }
    return out;
  }
  return value; // numbers, booleans, null, undefined, and class instances as they are
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Slicing a concatenation first flattens it into a new string of its own: the result
 * points into that copy (length + 1), not into the batch output.
 */
function ownString(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}
