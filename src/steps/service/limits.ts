import { z } from 'zod';
import { sh } from '../../transport/quote.js';
import { execAction } from '../actions.js';
import type { Action } from '../types.js';

/** systemd resource limits (`LimitNOFILE=65535`, `LimitNOFILE=4096:65535`, `infinity`). */
export const limitName = z.string().regex(/^Limit[A-Z]+$/, 'a systemd limit name such as LimitNOFILE');
export const limitValue = z
  .union([z.number().int().nonnegative(), z.string()])
  .transform((v) => String(v).trim())
  .refine((v) => /^(infinity|\d+)(:(infinity|\d+))?$/.test(v), 'a limit is a number, "infinity" or SOFT:HARD');
export const limitsRecord = z.record(limitName, limitValue).refine((r) => Object.keys(r).length > 0, 'give at least one limit');

export function softHard(value: string): { soft: string; hard: string } {
  const [soft, hard] = value.split(':');
  return { soft, hard: hard ?? soft };
}

/** /proc/PID/limits row names for the systemd Limit* settings. */
export const PROC_LIMIT_ROWS: Record<string, string> = {
  LimitNOFILE: 'Max open files',
  LimitNPROC: 'Max processes',
  LimitCORE: 'Max core file size',
  LimitMEMLOCK: 'Max locked memory',
  LimitSTACK: 'Max stack size',
  LimitAS: 'Max address space',
  LimitFSIZE: 'Max file size',
};

/** Prints the /proc/PID/limits row of the unit's main process ($1 unit, $2 process name, $3 row). */
export const PROC_LIMIT_ROW = `pid=$(systemctl show -p MainPID --value "$1" 2>/dev/null)
case "$pid" in ''|0) pid=$(pgrep -o -x "$2") ;; esac
[ -n "$pid" ] || { echo "no running process for $1" >&2; exit 1; }
grep -- "^$3 " "/proc/$pid/limits"`;

/** Verify actions: the running main process has the wanted limits (run after a start/restart). */
export function procLimitChecks(unit: string, processName: string, limits: Record<string, string>): Action[] {
  return Object.entries(limits).flatMap(([name, value]) => {
    const row = PROC_LIMIT_ROWS[name];
    if (!row) return [];
    const { soft, hard } = softHard(value);
    const show = (v: string) => (v === 'infinity' ? 'unlimited' : v);
    return [
      execAction(sh`sh -c ${PROC_LIMIT_ROW} mtafleet-proc-limits ${unit} ${processName} ${row}`, {
        expectStdout: `^${row}\\s+${show(soft)}\\s+${show(hard)}\\s`,
      }),
    ];
  });
}
