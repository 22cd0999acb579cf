/**
 * Every step kind: the full `do` and `undo` lists of a representative plan, and its project():
 * planning the projected state is a no-op (the task converges in one go), so a later task
 * planned against the projection sees what the host will hold. Kinds whose changes always
 * change (restart, reload, command) or cannot be foreseen (spool-migrate) say so.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STEP_KINDS } from '../../../src/steps/registry.js';
import { EVERYTHING } from '../../../src/steps/resources.js';
import { sha256 } from '../../../src/steps/file.js';
import type { Action, StepKind, StepPlan } from '../../../src/steps/types.js';
import { fixturePath, loadFixtures } from './plan-fixtures.js';

/** One line per action: the command as the host runs it (long scripts by their hash). */
function line(a: Action): string {
  const become = a.become ? ' (become)' : '';
  if (a.type === 'remove-file') return `remove ${a.path}${become}`;
  if (a.type === 'write-file') {
    const text = Buffer.from(a.contentBase64, 'base64').toString('utf8');
    const attrs = [a.mode !== undefined ? `mode ${a.mode.toString(8)}` : '', a.owner ? `owner ${a.owner}` : '', a.group ? `group ${a.group}` : ''].filter(Boolean).join(' ');
    return `write ${a.path}${attrs ? ` [${attrs}]` : ''}${become}: ${JSON.stringify(text.length > 100 ? `${text.slice(0, 60)}... sha256 ${sha256(text).slice(0, 8)}` : text)}`;
  }
  const cmd = a.command.length > 160 ? `${a.command.slice(0, 60).replace(/\n/g, '\\n')}... sha256 ${createHash('sha256').update(a.command).digest('hex').slice(0, 8)}` : a.command;
  const stdin = a.stdinBase64 ? ` <stdin sha256 ${sha256(Buffer.from(a.stdinBase64, 'base64')).slice(0, 8)}>` : '';
  return `exec${become}: ${cmd}${stdin}`;
}

function lists(plan: StepPlan): Array<{ summary: string; do: string[]; undo: string[] }> {
  expect(plan.kind).toBe('changes');
  return plan.kind === 'changes' ? plan.changes.map((c) => ({ summary: c.summary, do: c.do.map(line), undo: c.undo.map(line) })) : [];
}

const step = (kind: string) => STEP_KINDS[kind] as StepKind<any, any>;

function planned(kind: string, params: unknown, state: Record<string, unknown>) {
  const s = step(kind);
  const p = s.params.parse(params);
  const plan = s.plan(state, p);
  const projection = s.project!(state, p, plan);
  return { plan, projection, replanned: s.plan(projection.state, p) };
}

describe('every recorded observation is keyed by resources its step kind declares', () => {
  for (const kind of ['sysctl', 'pmta-config', 'systemd-limit', 'service', 'spool-migrate']) {
    it(kind, () => {
      for (const fx of loadFixtures(kind)) {
        const s = step(kind);
        const declared = s.resources(s.params.parse(fx.params));
        expect(Object.keys(fx.state).filter((k) => !declared.includes(k)), fx.file).toEqual([]);
      }
    });
  }
});

/** Each kind with a fixture directory: every fixture that plans changes converges on its projection. */
describe('plan of the projected state is a no-op (all recorded fixtures)', () => {
  for (const kind of ['sysctl', 'pmta-config', 'systemd-limit', 'service']) {
    for (const fx of loadFixtures(kind).filter((f) => f.expected.kind === 'changes')) {
      it(`${kind}: ${fx.name}`, () => {
        const { projection, replanned } = planned(kind, fx.params, fx.state);
        expect(projection.unknown).toEqual([]);
        const state = (fx.params as { state?: string }).state;
        if (kind === 'service' && (state === 'restarted' || state === 'reloaded')) {
          // A restart or reload always changes; its projection leaves the service active.
          expect(replanned.kind).toBe('changes');
          expect(Object.values(projection.state)[0]).toMatchObject({ 'service state': 'active' });
        } else {
          expect(replanned, JSON.stringify(replanned).slice(0, 400)).toMatchObject({ kind: 'noop' });
        }
      });
    }
  }
  const fileCases = JSON.parse(readFileSync(fixturePath('file-plans.json'), 'utf8')) as Array<{ name: string; params: unknown; state: Record<string, { content: string | null; sha256: string | null }>; fixSha?: boolean; expect: { kind: string } }>;
  for (const c of fileCases.filter((x) => x.expect.kind === 'changes')) {
    it(`file: ${c.name}`, () => {
      const state = structuredClone(c.state);
      if (c.fixSha) for (const f of Object.values(state)) if (f.content !== null) f.sha256 = sha256(f.content);
      const { projection, replanned } = planned('file', c.params, state);
      expect(projection.unknown).toEqual([]);
      expect(replanned.kind).toBe('noop');
    });
  }
  it('spool-migrate: the copies are predicted, so every resource it observed is unknown afterwards', () => {
    const fx = loadFixtures('spool-migrate').find((f) => f.file === 'happy-repoint.json')!;
    const { plan, projection } = planned('spool-migrate', fx.params, fx.state);
    expect(plan.kind).toBe('changes');
    expect(projection.unknown.sort()).toEqual(Object.keys(fx.state).sort());
  });
});

describe('full do and undo lists per step kind', () => {
  it('sysctl: drop-in written, runtime set; undo removes the drop-in and sets the old value', () => {
    const fx = loadFixtures('sysctl').find((f) => f.file === 'fresh-host.json')!;
    const { plan, projection } = planned('sysctl', fx.params, fx.state);
    expect(lists(plan)).toMatchInlineSnapshot(`
      [
        {
          "do": [
            "write /etc/sysctl.d/90-mtafleet.conf [mode 644]: "# Managed by mtafleet (sysctl step). Values here are applied at boot.\\nnet.ipv4.tcp_fin_timeout = 10\\n"",
          ],
          "summary": "create /etc/sysctl.d/90-mtafleet.conf: net.ipv4.tcp_fin_timeout = 10",
          "undo": [
            "remove /etc/sysctl.d/90-mtafleet.conf",
          ],
        },
        {
          "do": [
            "exec: sysctl -w net.ipv4.tcp_fin_timeout=10",
          ],
          "summary": "set net.ipv4.tcp_fin_timeout 60 -> 10 (runtime)",
          "undo": [
            "exec: sysctl -w net.ipv4.tcp_fin_timeout=60",
          ],
        },
      ]
    `);
    expect(projection.state['sysctl net.ipv4.tcp_fin_timeout']).toEqual({ value: '10', error: null });
  });

  it('pmta-config: one validated write; undo restores the bytes and reloads a running pmta', () => {
    const fx = loadFixtures('pmta-config').find((f) => f.file === 'add-to-block.json')!;
    expect(lists(planned('pmta-config', fx.params, fx.state).plan)).toMatchInlineSnapshot(`
      [
        {
          "do": [
            "exec: sh -c 'set -u\\ntarget=$1; backup=$2\\ndir=$(dirname -- "$target... sha256 4e6af053 <stdin sha256 0a4bdf8c>",
          ],
          "summary": "/etc/pmta/config: add retry-after 15m in <domain gmail.com> (/etc/pmta/config:16) (validated with pmta test config)",
          "undo": [
            "write /etc/pmta/config: "# PowerMTA config (lab)\\nhttp-mgmt-port 8080\\nhttp-access 127.... sha256 4e256a29"",
            "exec: if pmta show status >/dev/null 2>&1; then pmta reload; fi",
          ],
        },
      ]
    `);
  });

  it('systemd-limit: mkdir, drop-in, daemon-reload; undo removes them and reloads', () => {
    const fx = loadFixtures('systemd-limit').find((f) => f.file === 'fresh.json')!;
    expect(lists(planned('systemd-limit', fx.params, fx.state).plan)).toMatchInlineSnapshot(`
      [
        {
          "do": [
            "exec: mkdir -p /etc/systemd/system/pmta.service.d",
            "write /etc/systemd/system/pmta.service.d/mtafleet-limits.conf [mode 644]: "# Managed by mtafleet (systemd-limit step).\\n[Service]\\nLimitNOFILE=65535\\n"",
            "exec: systemctl daemon-reload",
          ],
          "summary": "create /etc/systemd/system/pmta.service.d/mtafleet-limits.conf (LimitNOFILE=65535) and daemon-reload; the running pmta (PID 4242, LimitNOFILE 1024:524288) keeps its old limit until restarted",
          "undo": [
            "remove /etc/systemd/system/pmta.service.d/mtafleet-limits.conf",
            "exec: rmdir --ignore-fail-on-non-empty /etc/systemd/system/pmta.service.d",
            "exec: systemctl daemon-reload",
          ],
        },
      ]
    `);
  });

  it('service: start, undo stop', () => {
    const fx = loadFixtures('service').find((f) => f.file === 'started.json')!;
    expect(lists(planned('service', fx.params, fx.state).plan)).toMatchInlineSnapshot(`
      [
        {
          "do": [
            "exec: systemctl start pmta",
          ],
          "summary": "start pmta (now inactive)",
          "undo": [
            "exec: systemctl stop pmta",
          ],
        },
      ]
    `);
  });

  it('file: update, undo restores old bytes with their mode and owner', () => {
    const state = { 'file /etc/app.conf': { exists: true, sha256: 'x', mode: '600', owner: 'root', group: 'adm', content: 'a = 1\n' } };
    const { plan, projection, replanned } = planned('file', { path: '/etc/app.conf', content: 'a = 2\n' }, state);
    expect(lists(plan)).toMatchInlineSnapshot(`
      [
        {
          "do": [
            "write /etc/app.conf: "a = 2\\n"",
          ],
          "summary": "update /etc/app.conf",
          "undo": [
            "write /etc/app.conf [mode 600 owner root group adm]: "a = 1\\n"",
          ],
        },
      ]
    `);
    expect(projection.state['file /etc/app.conf']).toEqual({ exists: true, sha256: sha256('a = 2\n'), mode: '600', owner: 'root', group: 'adm', content: 'a = 2\n' });
    expect(replanned.kind).toBe('noop');
  });

  it('file: absent, undo writes the old file back', () => {
    const state = { 'file /etc/old': { exists: true, sha256: 'x', mode: '644', owner: 'root', group: 'root', content: 'old\n' } };
    const { plan, replanned } = planned('file', { path: '/etc/old', state: 'absent' }, state);
    expect(lists(plan)).toMatchInlineSnapshot(`
      [
        {
          "do": [
            "remove /etc/old",
          ],
          "summary": "remove /etc/old",
          "undo": [
            "write /etc/old [mode 644 owner root group root]: "old\\n"",
          ],
        },
      ]
    `);
    expect(replanned.kind).toBe('noop');
  });

  it('command: no undo; it leaves everything unknown; its creates guard makes it a no-op once the path exists', () => {
    const state = { 'command creates /etc/done': { exists: false } };
    const { plan, projection } = planned('command', { cmd: 'touch /etc/done', creates: '/etc/done' }, state);
    expect(lists(plan)).toMatchInlineSnapshot(`
      [
        {
          "do": [
            "exec: sh -c 'touch /etc/done'",
          ],
          "summary": "run: touch /etc/done",
          "undo": [],
        },
      ]
    `);
    expect(projection.unknown).toEqual([EVERYTHING]);
    expect(step('command').plan({ 'command creates /etc/done': { exists: true } }, step('command').params.parse({ cmd: 'touch /etc/done', creates: '/etc/done' })).kind).toBe('noop');
  });

  it('spool-finalize: deletes the kept spool and its record; no undo; the projection has none left', () => {
    const record = { record: '/var/lib/mtafleet/spool-migrate/ab12cd34.kept', id: 'ab12cd34', oldSpool: '/var/spool/pmta', kept: '/var/spool/pmta.mtafleet-ab12cd34', newSpool: '/var/spool/pmta-nvme', keptExists: true, keptFiles: 3 };
    const config = { mainFile: '/etc/pmta/config', files: { '/etc/pmta/config': '<spool /var/spool/pmta-nvme>\n</spool>\n' }, expansions: {} };
    const state = { 'kept spools': [record], 'pmta config /etc/pmta/config': config };
    const { plan, projection, replanned } = planned('spool-finalize', {}, state);
    expect(lists(plan)).toMatchInlineSnapshot(`
      [
        {
          "do": [
            "exec: rm -rf -- /var/spool/pmta.mtafleet-ab12cd34",
            "remove /var/lib/mtafleet/spool-migrate/ab12cd34.kept",
          ],
          "summary": "delete the old spool /var/spool/pmta.mtafleet-ab12cd34 (3 files) kept by spool-migrate ab12cd34; this cannot be undone",
          "undo": [],
        },
      ]
    `);
    expect(projection.state['kept spools']).toEqual([]);
    expect(replanned.kind).toBe('noop');
  });

  it('spool-migrate: the five changes with their undo', () => {
    const fx = loadFixtures('spool-migrate').find((f) => f.file === 'happy-repoint.json')!;
    expect(lists(planned('spool-migrate', fx.params, fx.state).plan)).toMatchInlineSnapshot(`
      [
        {
          "do": [
            "exec: mkfs.xfs -q -m uuid=3c36f5b7-157e-4a9c-be02-90c8886d1b2f /dev/nvme0n1",
          ],
          "summary": "mkfs.xfs on /dev/nvme0n1 = /dev/disk/by-id/nvme-Samsung_SSD_980_S64DNX0R123456: 2.0 GiB, no filesystem, partition table, LVM or RAID signature; filesystem UUID 3c36f5b7-157e-4a9c-be02-90c8886d1b2f",
          "undo": [
            "exec: sh -c 'dev=$1; uuid=$2\\n[ -b "$dev" ] || exit 0\\nfound=$(blkid... sha256 89ffe5b3",
          ],
        },
        {
          "do": [
            "exec: mkdir -p /var/spool/pmta-nvme",
            "exec: sh -c 't=$(mktemp) || exit 1\\nprintf '\\''%s\\n'\\'' "$1" > "$t"... sha256 a3645920",
            "write /etc/fstab: "UUID=0a1b2c3d-0000-4000-8000-000000000001 / ext4 errors=remo... sha256 8e63e1e2"",
            "exec: mount /var/spool/pmta-nvme",
          ],
          "summary": "mount /dev/nvme0n1 at /var/spool/pmta-nvme with noatime; /etc/fstab entry by UUID (checked with findmnt --verify): UUID=3c36f5b7-157e-4a9c-be02-90c8886d1b2f /var/spool/pmta-nvme xfs defaults,noatime 0 0",
          "undo": [
            "exec: sh -c 'stop_leftover_copies() {\\n  for c in $(grep -l -a -F -... sha256 553754a2",
            "write /etc/fstab: "UUID=0a1b2c3d-0000-4000-8000-000000000001 / ext4 errors=remount-ro 0 1\\n"",
            "exec: sh -c '[ -d "$1" ] || exit 0
      rmdir -- "$1" 2>/dev/null || echo "$1 is not empty; left in place" >&2
      exit 0' mtafleet-rmdir /var/spool/pmta-nvme",
          ],
        },
        {
          "do": [
            "exec: sh -c 'set -u\\nsrc=$1; dst=$2; dir=$3; id=$4; w=$dir/$id.work... sha256 c683cc48",
          ],
          "summary": "copy the spool /var/spool/pmta (12000 files, 500.0 MiB when observed) to /var/spool/pmta-nvme with cp -a (owners, modes, timestamps) while pmta keeps running, and hash both trees (sha256, work files in /var/lib/mtafleet/spool-migrate/3c36f5b7.work)",
          "undo": [
            "exec: rm -rf -- /var/lib/mtafleet/spool-migrate/3c36f5b7.work",
            "exec: sh -c 'stop_leftover_copies() {\\n  for c in $(grep -l -a -F -... sha256 4ed97249",
          ],
        },
        {
          "do": [
            "exec: sh -c 'main_pid() {\\n  p=\\n  if command -v systemctl >/dev/nul... sha256 680cf478",
            "exec: sh -c 'set -u\\nsrc=$1; dst=$2; dir=$3; id=$4; w=$dir/$id.work... sha256 728523d0",
          ],
          "summary": "stop pmta (waiting until its main process pmtad has exited), final pass: copy the files new or changed since the pre-copy and remove from /var/spool/pmta-nvme those delivered meanwhile; verify file count, bytes and sha256 of every file (manifest /var/lib/mtafleet/spool-migrate/3c36f5b7.manifest); pmta stays stopped for the switch",
          "undo": [
            "exec: rm -rf -- /var/lib/mtafleet/spool-migrate/3c36f5b7.manifest /var/lib/mtafleet/spool-migrate/3c36f5b7.manifest-new /var/lib/mtafleet/spool-migrate/3c36f5b7.work",
            "exec: sh -c 'init=$1; svc=$2; proc=\${3:-}; pidfile=\${4:-}\\nmain_pid... sha256 da8853ac",
          ],
        },
        {
          "do": [
            "exec: mv -T -- /var/spool/pmta /var/spool/pmta.mtafleet-3c36f5b7",
            "exec: sh -c 'set -u\\ntarget=$1; backup=$2\\ndir=$(dirname -- "$target... sha256 5cd29fca <stdin sha256 bee23eb8>",
            "write /var/lib/mtafleet/spool-migrate/3c36f5b7.kept [mode 600]: "{\\"id\\":\\"3c36f5b7\\",\\"oldSpool\\":\\"/var/spool/pmta\\",\\"kept\\":\\"/var/s... sha256 c5bdaf3a"",
            "exec: sh -c 'n=$(find "$1" -type f | wc -l); m=$(wc -l < "$2")\\nech... sha256 b83b568c",
            "exec: sh -c 'init=$1; svc=$2; proc=\${3:-}; pidfile=\${4:-}\\nmain_pid... sha256 da8853ac",
          ],
          "summary": "rename the old spool to /var/spool/pmta.mtafleet-3c36f5b7, point <spool> at /var/spool/pmta-nvme (/etc/pmta/config: <spool /var/spool/pmta> -> <spool /var/spool/pmta-nvme> (/etc/pmta/config:2), validated with pmta test config), check the new spool holds every file of the verified manifest, start pmta; the old spool is kept until spool-finalize. Undo carries back any mail that arrived in the new spool",
          "undo": [
            "exec: sh -c 'set -u\\nmain_pid() {\\n  p=\\n  if command -v systemctl >/... sha256 ffe57db9",
            "write /etc/pmta/config: "http-mgmt-port 8080\\n<spool /var/spool/pmta>\\n    deliver-only... sha256 24cc5c40"",
            "remove /var/lib/mtafleet/spool-migrate/3c36f5b7.kept",
          ],
        },
      ]
    `);
  });
});
