import { dict } from '../util/dict.js';
import type { StepKind } from './types.js';
import { fileStep } from './file.js';
import { commandStep } from './command.js';
import { sysctlStep } from './sysctl.js';
import { pmtaConfigStep } from './pmta-config.js';
import { systemdLimitStep } from './systemd-limit.js';
import { serviceStep } from './service.js';
import { spoolMigrateStep } from './spool-migrate.js';
import { spoolFinalizeStep } from './spool/finalize.js';

/**
 * Every step kind a playbook task may name, by its task key. Other step files add their
 * kind here (one import + one line each). Null-prototype: task keys and plan-file kinds are
 * looked up here, and a key "toString" or "constructor" names no step kind.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const STEP_KINDS: Record<string, StepKind<any, any>> = dict(Object.entries({
  file: fileStep,
  command: commandStep,
  sysctl: sysctlStep,
  'pmta-config': pmtaConfigStep,
  'systemd-limit': systemdLimitStep,
  service: serviceStep,
  'spool-migrate': spoolMigrateStep,
  'spool-finalize': spoolFinalizeStep,
}));
