/**
 * The spool's byte and file counts change by themselves while mail flows: a plan made an hour
 * before must still apply (they are not part of the drift fingerprint); what matters for safety
 * (the spool's source, mount, daemon state) still is.
 */
import { describe, expect, it } from 'vitest';
import { resource } from '../../../src/steps/resources.js';
import { observationFingerprint, stableObservations } from '../../../src/engine/volatile.js';
import { describeDrift } from '../../../src/engine/drift.js';

const spool = (over: Record<string, unknown> = {}) => ({
  [resource.pmtaSpool()]: { path: '/var/spool/pmta', exists: true, bytes: 1_000_000, files: 120, isMountpoint: false, source: '/dev/vda1', uuid: 'u1', kept: [], daemonRunning: true, ...over },
  [resource.fstab()]: 'UUID=u1 / xfs defaults 0 0\n',
});

describe('volatile observation fields', () => {
  it('spool bytes and files do not change the fingerprint; source, mount and daemon state do', () => {
    const base = observationFingerprint(spool());
    expect(observationFingerprint(spool({ bytes: 9_999_999, files: 4000 }))).toBe(base);
    for (const over of [{ source: '/dev/nvme0n1' }, { isMountpoint: true }, { daemonRunning: false }, { exists: false }]) {
      expect(observationFingerprint(spool(over)), JSON.stringify(over)).not.toBe(base);
    }
  });

  it('the drift message names what matters, not the churn', () => {
    const drift = describeDrift(stableObservations(spool()), stableObservations(spool({ bytes: 5, files: 1, daemonRunning: false })));
    expect(drift).toEqual(['pmta spool changed (daemonRunning true -> false)']);
  });

  it('keeps every other observation as it is, prototype-named keys included', () => {
    const obs = JSON.parse('{"__proto__": {"bytes": 1}, "file /etc/x": {"sha256": "ab"}}') as Record<string, unknown>;
    const stable = stableObservations(obs);
    expect(Object.keys(stable)).toEqual(['__proto__', 'file /etc/x']);
    expect(Object.getPrototypeOf(stable)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(stable, '__proto__')!.value).toEqual({ bytes: 1 });
  });
});
