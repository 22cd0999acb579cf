import { z } from 'zod';
import { argv, sh, type Command } from '../transport/quote.js';
import type { HostConnection } from '../transport/types.js';
import { execAction, valueDiff } from './actions.js';
import { serviceName } from './guards/params.js';
import { limitsRecord, procLimitChecks } from './service/limits.js';
import { resource } from './resources.js';
import type { Action, Change, Projection, StepKind, StepPlan } from './types.js';

/**
 * service: started / stopped / restarted / reloaded, through systemctl, or `service` where there
 * is no systemd. PowerMTA reloads go through `pmta reload`, whose answer must say
 * "Configuration reloaded." (a zero exit code alone is not trusted). started/stopped are
 * idempotent; restarted/reloaded always change. Optional `limits` adds /proc/PID/limits checks
 * after a start or restart (the fd-limit playbook's proof that the new limit is live).
 */
export const serviceParams = z
  .object({
    name: serviceName,
    state: z.enum(['started', 'stopped', 'restarted', 'reloaded']),
    limits: limitsRecord.optional(),
  })
  .strict();
export type ServiceParams = z.infer<typeof serviceParams>;

export type InitSystem = 'systemd' | 'sysv' | 'none';
/** What one service looks like; stored under the observation key `service NAME`. */
export interface ServiceState extends Record<string, unknown> {
  'init system': InitSystem;
  /** systemctl is-active wording: active, inactive, failed, activating, ... */
  'service state': string;
}

const SYSTEMD_STATES = ['active', 'inactive', 'failed', 'activating', 'deactivating', 'reloading', 'unknown', 'maintenance'];

/** Detects the init system and the unit's state ($1 = service name); prints init=... and state=... */
export const OBSERVE_SERVICE = `if command -v systemctl >/dev/null 2>&1; then
  st=$(systemctl is-active "$1" 2>/dev/null | head -n 1)
  case "$st" in active|inactive|failed|activating|deactivating|reloading|unknown|maintenance) echo init=systemd; echo "state=$st"; exit 0 ;; esac
fi
if command -v service >/dev/null 2>&1; then
  echo init=sysv
  if service "$1" status >/dev/null 2>&1; then echo state=active; else echo state=inactive; fi
  exit 0
fi
echo init=none`;

export function parseServiceObservation(stdout: string): ServiceState {
  const kv = Object.fromEntries(stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]));
  const init = (['systemd', 'sysv'].includes(kv.init) ? kv.init : 'none') as InitSystem;
  const state = SYSTEMD_STATES.includes(kv.state) ? kv.state : 'unknown';
  return { 'init system': init, 'service state': state };
}

export function serviceCommand(init: InitSystem, verb: 'start' | 'stop' | 'restart' | 'reload', name: string): Command {
  return init === 'systemd' ? argv('systemctl', verb, name) : argv('service', name, verb);
}

function isActiveCheck(init: InitSystem, name: string): Action {
  return init === 'systemd'
    ? execAction(argv('systemctl', 'is-active', name), { expectStdout: '^active' })
    : execAction(argv('service', name, 'status'));
}

function isStoppedCheck(init: InitSystem, name: string): Action {
  return init === 'systemd'
    ? execAction(argv('systemctl', 'is-active', name), { okExitCodes: [3], expectStdout: '^(inactive|failed|unknown)' })
    : execAction(sh`if service ${name} status >/dev/null 2>&1; then echo still running >&2; exit 1; fi`);
}

/** `pmta reload` answers "Configuration reloaded." when the new config was accepted. */
export const PMTA_RELOADED = 'Configuration reloaded\\.';

export const serviceKey = resource.service;
/**
 * Reloads and restarts leave the service as they found it (active stays active), so each
 * observes under its own key: a restart handler planned after a reload handler is not stale.
 */
export const cycleKey = resource.serviceCycle;
const keyFor = (params: ServiceParams) =>
  params.state === 'reloaded' || params.state === 'restarted' ? cycleKey(params.name, params.state) : serviceKey(params.name);

export function planService(observed: Record<string, unknown>, params: ServiceParams): StepPlan {
  const state = observed[keyFor(params)] as ServiceState | undefined;
  if (!state) return { kind: 'refused', reason: `${params.name} was not observed` };
  const init = state['init system'];
  const name = params.name;
  const was = state['service state'];
  if (init === 'none') return { kind: 'refused', reason: `no systemctl or service command on this host to manage ${name}` };
  const active = was === 'active' || was === 'reloading' || was === 'activating';
  const processName = name === 'pmta' ? 'pmtad' : name;
  const limitChecks = params.limits ? procLimitChecks(name, processName, params.limits) : [];
  const change = (summary: string, after: string, doActions: Action[], undo: Action[], verify: Action[]): StepPlan => ({
    kind: 'changes',
    changes: [{ summary, label: 'exact', diff: valueDiff(`service ${name}`, was, after), do: doActions, undo, verify } satisfies Change],
  });

  switch (params.state) {
    case 'started':
      if (active) return { kind: 'noop', reason: `${name} is already ${was}` };
      return change(`start ${name} (now ${was})`, 'active', [execAction(serviceCommand(init, 'start', name))], [execAction(serviceCommand(init, 'stop', name))], [isActiveCheck(init, name), ...limitChecks]);
    case 'stopped':
      if (!active) return { kind: 'noop', reason: `${name} is already ${was}` };
      return change(`stop ${name} (now ${was})`, 'inactive', [execAction(serviceCommand(init, 'stop', name))], [execAction(serviceCommand(init, 'start', name))], [isStoppedCheck(init, name)]);
    case 'restarted':
      // A restart cannot be taken back; undo only stops a service that was not running before.
      return change(
        `restart ${name} (now ${was}${active ? '' : '; it will be started'})`,
        'active',
        [execAction(serviceCommand(init, 'restart', name))],
        active ? [] : [execAction(serviceCommand(init, 'stop', name))],
        [isActiveCheck(init, name), ...limitChecks],
      );
    case 'reloaded': {
      if (!active) return { kind: 'noop', reason: `${name} is ${was}: nothing to reload (it reads its configuration when it starts)` };
      const reload =
        name === 'pmta'
          ? execAction(argv('pmta', 'reload'), { expectStdout: PMTA_RELOADED })
          : execAction(serviceCommand(init, 'reload', name));
      return change(`reload ${name}${name === 'pmta' ? ' (pmta reload must answer "Configuration reloaded.")' : ''}`, 'active (reloaded)', [reload], [], [isActiveCheck(init, name)]);
    }
  }
}

export const serviceStep: StepKind<ServiceParams, Record<string, unknown>> = {
  kind: 'service',
  params: serviceParams as unknown as z.ZodType<ServiceParams>,
  resources: (params) => [keyFor(params)],
  async observe(host: HostConnection, params: ServiceParams) {
    const r = await host.exec(sh`sh -c ${OBSERVE_SERVICE} mtafleet-service ${params.name}`);
    return { [keyFor(params)]: parseServiceObservation(r.stdout) };
  },
  plan: planService,
  project: projectService,
};

/**
 * After the plan: started, restarted and reloaded leave the service active, stopped inactive.
 * A restart or reload always plans a change (plan of the projection is not a no-op for them).
 */
export function projectService(observed: Record<string, unknown>, params: ServiceParams, plan: StepPlan): Projection {
  const state = observed[keyFor(params)] as ServiceState | undefined;
  if (plan.kind !== 'changes' || !state) return { state: observed, unknown: [] };
  const after = params.state === 'stopped' ? 'inactive' : 'active';
  return { state: { ...observed, [keyFor(params)]: { ...state, 'service state': after } }, unknown: [] };
}
