import { InputError } from '../util/errors.js';

/**
 * Names and addresses of a lab's resources: pure functions, so `up`, `down` and the tests
 * agree on them. Linux interface names are at most 15 characters: "mtafbr-" + 6 and
 * "mtaf-" + 6 + "-" + 3 digits both fit.
 */
export const LAB_NAME_PATTERN = /^[a-z0-9]{1,6}$/;
export const MAX_HOSTS = 200;
/** 198.18.0.0/15 (RFC 2544 benchmarking range) holds 512 /24 subnets, one per lab. */
const SUBNET_COUNT = 512;
const FIRST_HOST_OCTET = 10;

export function validateLabName(name: string): string {
  if (!LAB_NAME_PATTERN.test(name)) {
    throw new InputError(`lab name must be 1-6 characters of a-z and 0-9 (it becomes part of interface names), got "${name}"`);
  }
  return name;
}

export function validateHostCount(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > MAX_HOSTS) {
    throw new InputError(`a lab has 1 to ${MAX_HOSTS} hosts, got ${n}`);
  }
  return n;
}

function hostNumber(index: number): string {
  return String(index).padStart(2, '0');
}

/** Host i (1-based) is mta01, mta02, ... */
export function hostName(index: number): string {
  return `mta${hostNumber(index)}`;
}

export function netnsName(lab: string, index: number): string {
  return `mtaf-${lab}-${hostNumber(index)}`;
}

/** Root-namespace end of the host's veth pair (the other end is eth0 inside the host). */
export function vethName(lab: string, index: number): string {
  return `mtaf-${lab}-${hostNumber(index)}`;
}

export function bridgeName(lab: string): string {
  return `mtafbr-${lab}`;
}

/** "198.18.7" style prefix of subnet number k (0..511). */
export function subnetPrefix(k: number): string {
  return `198.${18 + (k >> 8)}.${k & 255}`;
}

export function subnetIndexOf(address: string): number | null {
  const m = /^198\.(18|19)\.(\d{1,3})\.\d{1,3}$/.exec(address);
  if (!m) return null;
  return (Number(m[1]) - 18) * 256 + Number(m[2]);
}

/** Stable first choice for a lab name, so a lab usually gets the same addresses each time. */
function preferredSubnet(lab: string): number {
  let h = 0;
  for (const c of lab) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % SUBNET_COUNT;
}

/** The first free subnet starting at the name's preferred one; `used` holds subnet numbers in use. */
export function pickSubnet(lab: string, used: ReadonlySet<number>): number {
  const start = preferredSubnet(lab);
  for (let step = 0; step < SUBNET_COUNT; step++) {
    const k = (start + step) % SUBNET_COUNT;
    if (!used.has(k)) return k;
  }
  throw new InputError('every /24 of 198.18.0.0/15 is in use by other labs or interfaces');
}

export function bridgeAddress(prefix: string): string {
  return `${prefix}.1`;
}

export function hostAddress(prefix: string, index: number): string {
  return `${prefix}.${FIRST_HOST_OCTET + index}`;
}

/** Scenario list of `up`: host i gets the i-th entry, the last one repeats. */
export function scenarioForHost<T>(scenarios: readonly T[], index: number, fallback: T): T {
  if (scenarios.length === 0) return fallback;
  return scenarios[Math.min(index, scenarios.length) - 1] as T;
}
