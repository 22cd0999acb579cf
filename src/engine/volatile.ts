/**
 * A host's observations without the fields that change by themselves (steps/resources.ts
 * VOLATILE_FIELDS): what the drift fingerprint and the drift message compare.
 */
import { VOLATILE_FIELDS } from '../steps/resources.js';
import { fingerprint } from './canonical.js';

export function stableObservations(observations: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(observations)) {
    const fields = VOLATILE_FIELDS.get(key);
    if (!fields || value === null || typeof value !== 'object' || Array.isArray(value)) {
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      continue;
    }
    const kept = Object.fromEntries(Object.entries(value).filter(([f]) => !fields.includes(f)));
    Object.defineProperty(out, key, { value: kept, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The drift fingerprint of a host's observations (plan files record it; apply compares it). */
export function observationFingerprint(observations: Record<string, unknown>): string {
  return fingerprint(stableObservations(observations));
}
