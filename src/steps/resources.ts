/**
 * Typed resource keys. A step's observation is keyed by the resources it read; the engine
 * uses the keys to project state from task to task, fingerprint a host once per resource and
 * name what drifted. Every key is built here, by one function per resource type, so two steps
 * that touch the same thing always agree on its name (the text is part of plan files: keep it).
 */
export type ResourceKey = string & { readonly __resource: true };

const key = (text: string) => text as ResourceKey;

export const resource = {
  /** A file's bytes and stat (file step). */
  file: (path: string) => key(`file ${path}`),
  /** A kernel parameter's runtime value. */
  sysctl: (name: string) => key(`sysctl ${name}`),
  /** Every sysctl config file (boot precedence makes each sysctl task read all of them). */
  sysctlConfigFiles: () => key('sysctl config files'),
  /** A PowerMTA config: the main file and everything it includes. */
  pmtaConfig: (mainFile: string) => key(`pmta config ${mainFile}`),
  /** What the host's PowerMTA says about planned config files (pmta test config on copies). */
  pmtaConfigTest: () => key('pmta test config of the new files'),
  /** The host's CPU count (nproc). */
  cpuCount: () => key('cpu count'),
  /** A service's run state. */
  service: (name: string) => key(`service ${name}`),
  /** A service's run state as seen by a reload/restart (they leave it as they found it). */
  serviceCycle: (name: string, state: 'reloaded' | 'restarted') => key(`service ${name} (before ${state === 'reloaded' ? 'reload' : 'restart'})`),
  /** A systemd drop-in file (content, and whether its directory exists). */
  systemdDropIn: (path: string) => key(`systemd drop-in ${path}`),
  /** A systemd unit's properties (systemctl show). */
  systemdUnit: (unit: string) => key(`systemd unit ${unit}`),
  blockDevice: (device: string) => key(`block device ${device}`),
  mountpoint: (dir: string) => key(`mountpoint ${dir}`),
  fstab: () => key('fstab'),
  pmtaSpool: () => key('pmta spool'),
  systemDisks: () => key('system disks'),
  /** The spools spool-migrate kept, by their records. */
  keptSpools: () => key('kept spools'),
  /** A command's `creates` guard. */
  commandCreates: (path: string) => key(`command creates ${path}`),
  /** A command's `unless` guard (its exit code). */
  commandUnless: (text: string) => key(`command unless ${text}`),
};

/**
 * Written where a task's effect on the host cannot be known before it runs (a `command`, a
 * change labelled predicted): every resource. A later task reading an unknown resource is
 * planned as predicted and re-planned at apply time against the real host.
 */
export const EVERYTHING = key('*');

/**
 * Fields of an observation that change by themselves on a healthy live host (mail keeps
 * arriving in the spool): shown in plans, but not part of the drift fingerprint, so a plan
 * approved an hour ago still applies. What matters for safety (device, mount, filesystem,
 * daemon state) stays in it; the copy itself is labelled predicted and checked when it runs.
 */
export const VOLATILE_FIELDS: ReadonlyMap<string, readonly string[]> = new Map([[resource.pmtaSpool(), ['bytes', 'files']]]);
