/**
 * Keys that break a plain `{}` map: `__proto__` replaces its prototype, the others are
 * inherited from Object.prototype, so `o[k]` and `o[k] ??= ...` find something that is not
 * the map's entry. Hosts choose these as domains, IPs, directive and device names.
 */
export const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf'] as const;

/** Object.prototype's own properties and their values, to compare before and after. */
export function prototypeSnapshot(): Map<string, unknown> {
  const proto = Object.prototype as unknown as Record<string, unknown>;
  return new Map(Object.getOwnPropertyNames(proto).map((name) => [name, Object.getOwnPropertyDescriptor(proto, name)?.value ?? Object.getOwnPropertyDescriptor(proto, name)?.get]));
}
