import { z } from 'zod';
import { argv, script } from '../transport/quote.js';
import type { HostConnection } from '../transport/types.js';
import { execAction, fileDiff, restoreFileAction, writeFileAction } from './actions.js';
import { serviceName } from './guards/params.js';
import { limitsRecord, softHard } from './service/limits.js';
import { resource } from './resources.js';
import type { Action, Change, Projection, StepKind, StepPlan } from './types.js';

/**
 * systemd-limit: `Limit*` settings for a unit through the drop-in
 * /etc/systemd/system/<unit>.service.d/mtafleet-limits.conf, then `systemctl daemon-reload`.
 * The running process keeps its old limit until restarted (the plan says so); the service
 * step with `limits` verifies /proc/PID/limits after the restart.
 */
export const systemdLimitParams = z.object({ unit: serviceName, limits: limitsRecord }).strict();
export type SystemdLimitParams = z.infer<typeof systemdLimitParams>;

/** Observation keys: `systemd drop-in PATH` -> { content, dirExists }; `systemd unit NAME` ->
 * `systemctl show` properties (Limit*, Limit*Soft, MainPID), null when there is no systemctl. */
export type SystemdLimitState = Record<string, unknown>;
export const dropInKey = (unit: string) => resource.systemdDropIn(dropInPath(unit));
export const unitKey = resource.systemdUnit;
export function dropInPath(unit: string): string {
  return `${dropInDir(unit)}/mtafleet-limits.conf`;
}

export function dropInDir(unit: string): string {
  return `/etc/systemd/system/${unit}.service.d`;
}

export function renderDropIn(limits: Record<string, string>): string {
  const lines = Object.entries(limits).map(([k, v]) => `${k}=${v}`);
  return `# Managed by mtafleet (systemd-limit step).\n[Service]\n${lines.join('\n')}\n`;
}

function loaded(props: Record<string, string>, limits: Record<string, string>): boolean {
  return Object.entries(limits).every(([name, value]) => {
    const { soft, hard } = softHard(value);
    const same = (shown: string | undefined, want: string) => want === 'infinity' || shown === want;
    return same(props[name], hard) && same(props[`${name}Soft`], soft);
  });
}

export function planSystemdLimit(state: SystemdLimitState, params: SystemdLimitParams): StepPlan {
  const unit = params.unit;
  const props = state[unitKey(unit)] as Record<string, string> | null;
  if (props === null) return { kind: 'refused', reason: `systemd-limit needs systemd: no systemctl on this host (set the limit in ${unit}'s init script instead)` };
  const file = { path: dropInPath(unit), ...(state[dropInKey(unit)] as { content: string | null; dirExists: boolean }) };
  const wanted = renderDropIn(params.limits);
  const settings = Object.entries(params.limits).map(([k, v]) => `${k}=${v}`).join(' ');
  const reload = execAction(argv('systemctl', 'daemon-reload'));
  const verify: Action[] = Object.entries(params.limits).map(([name, value]) =>
    execAction(argv('systemctl', 'show', '-p', name, '--value', unit), {
      expectStdout: softHard(value).hard === 'infinity' ? '\\S' : `^${softHard(value).hard}\\s*$`,
    }),
  );
  const pid = props.MainPID && props.MainPID !== '0' ? props.MainPID : null;
  const running = pid
    ? `; the running ${unit} (PID ${pid}, ${Object.keys(params.limits).map((k) => `${k} ${props[`${k}Soft`] ?? '?'}:${props[k] ?? '?'}`).join(', ')}) keeps its old limit until restarted`
    : `; ${unit} is not running, the limit applies when it starts`;

  if (file.content === wanted) {
    if (loaded(props, params.limits)) return { kind: 'noop', reason: `${file.path} sets ${settings} and systemd has loaded it` };
    const change: Change = {
      summary: `systemctl daemon-reload: ${file.path} sets ${settings} but systemd still shows the old values${running}`,
      label: 'exact',
      diff: { type: 'text', text: `daemon-reload to load ${settings}` },
      do: [reload],
      undo: [],
      verify,
    };
    return { kind: 'changes', changes: [change] };
  }
  const dir = dropInDir(unit);
  const change: Change = {
    summary: `${file.content === null ? 'create' : 'rewrite'} ${file.path} (${settings}) and daemon-reload${running}`,
    label: 'exact',
    diff: fileDiff(file.path, file.content, wanted),
    do: [...(file.dirExists ? [] : [execAction(argv('mkdir', '-p', dir))]), writeFileAction(file.path, wanted, { mode: 0o644 }), reload],
    undo: [
      restoreFileAction(file.path, file.content),
      ...(file.dirExists ? [] : [execAction(argv('rmdir', '--ignore-fail-on-non-empty', dir))]),
      reload,
    ],
    verify,
  };
  return { kind: 'changes', changes: [change] };
}

export const systemdLimitStep: StepKind<SystemdLimitParams, SystemdLimitState> = {
  kind: 'systemd-limit',
  params: systemdLimitParams as unknown as z.ZodType<SystemdLimitParams>,
  resources: (params) => [dropInKey(params.unit), unitKey(params.unit)],
  async observe(host: HostConnection, params: SystemdLimitParams, ctx) {
    const dir = dropInDir(params.unit);
    const path = dropInPath(params.unit);
    const content = await host.readFile(path, { become: ctx.become });
    const dirExists = (await host.exec(argv('test', '-d', dir))).exitCode === 0;
    const hasSystemctl = (await host.exec(script('command -v systemctl'))).exitCode === 0;
    let properties: Record<string, string> | null = null;
    if (hasSystemctl) {
      const names = Object.keys(params.limits).flatMap((k) => ['-p', k, '-p', `${k}Soft`]);
      const shown = await host.exec(argv('systemctl', 'show', ...names, '-p', 'MainPID', params.unit));
      properties = Object.fromEntries(
        shown.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
      );
    }
    return {
      [dropInKey(params.unit)]: { content: content === null ? null : content.toString('utf8'), dirExists },
      [unitKey(params.unit)]: properties,
    };
  },
  plan: planSystemdLimit,
  project: projectSystemdLimit,
};

/** After the plan: the drop-in holds the limits and systemd shows them (soft and hard). */
export function projectSystemdLimit(state: SystemdLimitState, params: SystemdLimitParams, plan: StepPlan): Projection {
  const props = state[unitKey(params.unit)] as Record<string, string> | null;
  if (plan.kind !== 'changes' || props === null) return { state, unknown: [] };
  const shown = { ...props };
  for (const [name, value] of Object.entries(params.limits)) {
    const { soft, hard } = softHard(value);
    shown[name] = hard;
    shown[`${name}Soft`] = soft;
  }
  return {
    state: { ...state, [dropInKey(params.unit)]: { content: renderDropIn(params.limits), dirExists: true }, [unitKey(params.unit)]: shown },
    unknown: [],
  };
}
