// systemctl shim: the pmta unit only (lab hosts have no systemd). Exit codes as systemctl:
// 0 ok, 1 failure, 3 inactive (is-active/status), 5 unit not found.
import fs from 'node:fs';
import { PATHS } from './paths.mjs';
import { loadedUnit, daemonReload, unitChangedOnDisk } from './unit.mjs';
import { daemonPid, startDaemon, stopDaemon } from './service.mjs';
import { isoTime } from './acct.mjs';

const out = (s) => process.stdout.write(s);
const err = (s) => process.stderr.write(s);

function failedJob(verb) {
  err(`Job for pmta.service failed because the control process exited with error code.\nSee "systemctl status pmta.service" and "journalctl -xeu pmta.service" for details.\n`);
  void verb;
  return 1;
}

function warnIfChanged() {
  if (unitChangedOnDisk()) err("Warning: The unit file, source configuration file or drop-ins of pmta.service changed on disk. Run 'systemctl daemon-reload' to reload units.\n");
}

function statusText(pid) {
  const unit = loadedUnit();
  const lines = ['● pmta.service - PowerMTA mail transfer agent', '     Loaded: loaded (/etc/systemd/system/pmta.service; enabled; preset: enabled)'];
  if (unit.files.length) {
    lines.push(`    Drop-In: ${PATHS.dropinDir}`);
    lines.push(`             └─${unit.files.join(', ')}`);
  }
  if (pid) {
    const started = fs.statSync(`/proc/${pid}`).mtimeMs;
    lines.push(`     Active: active (running) since ${isoTime(started).slice(0, 19)} UTC`);
    lines.push(`   Main PID: ${pid} (pmtad)`);
  } else lines.push('     Active: inactive (dead)');
  return lines.join('\n') + '\n';
}

async function act(verb, rest) {
  const unitArg = rest.find((a, i) => !a.startsWith('-') && rest[i - 1] !== '-p' && rest[i - 1] !== '--property');
  const needsUnit = !['daemon-reload', 'daemon-reexec'].includes(verb);
  if (!needsUnit) {
    daemonReload();
    return 0;
  }
  if (!unitArg) {
    err(`Too few arguments.\n`);
    return 1;
  }
  const unit = unitArg.replace(/\.service$/, '');
  if (unit !== 'pmta') {
    err(`Unit ${unit}.service not found.\n`);
    return 5;
  }
  switch (verb) {
    case 'start': {
      warnIfChanged();
      const r = await startDaemon();
      return r.ok ? 0 : failedJob(verb);
    }
    case 'stop':
      await stopDaemon();
      return 0;
    case 'restart': {
      warnIfChanged();
      await stopDaemon();
      const r = await startDaemon();
      return r.ok ? 0 : failedJob(verb);
    }
    case 'reload': {
      if (!daemonPid()) {
        err('pmta.service is not active, cannot reload.\n');
        return 1;
      }
      const { runPmta } = await import('./pmta-cli.mjs');
      const r = await runPmta(['reload']);
      if (r.code === 0) return 0;
      err(r.err);
      return failedJob(verb);
    }
    case 'is-active': {
      const active = Boolean(daemonPid());
      if (!rest.includes('--quiet') && !rest.includes('-q')) out(active ? 'active\n' : 'inactive\n');
      return active ? 0 : 3;
    }
    case 'status': {
      const pid = daemonPid();
      out(statusText(pid));
      return pid ? 0 : 3;
    }
    case 'show': {
      const props = [];
      for (let i = 0; i < rest.length; i += 1) {
        if (rest[i] === '-p' || rest[i] === '--property') props.push(...rest[i + 1].split(','));
        else if (rest[i].startsWith('--property=')) props.push(...rest[i].slice(11).split(','));
        else if (rest[i].startsWith('-p') && rest[i].length > 2) props.push(...rest[i].slice(2).split(','));
      }
      const unitInfo = loadedUnit();
      const pid = daemonPid();
      const values = { LimitNOFILE: unitInfo.hard, LimitNOFILESoft: unitInfo.soft, MainPID: pid ?? 0, ActiveState: pid ? 'active' : 'inactive', SubState: pid ? 'running' : 'dead', Id: 'pmta.service', LoadState: 'loaded', DropInPaths: unitInfo.files.map((f) => `${PATHS.dropinDir}/${f}`).join(' ') };
      const wanted = props.length ? props : Object.keys(values);
      const valueOnly = rest.includes('--value');
      for (const p of wanted) if (p in values) out(valueOnly ? `${values[p]}\n` : `${p}=${values[p]}\n`);
      return 0;
    }
    case 'enable':
    case 'disable':
      return 0;
    case 'is-enabled':
      out('enabled\n');
      return 0;
    default:
      err(`Unknown command verb ${verb}.\n`);
      return 1;
  }
}

const argv = process.argv.slice(2).filter((a) => !['--no-pager', '--no-ask-password', '--system', '--no-block', '-l', '--full'].includes(a));
const verb = argv.find((a) => !a.startsWith('-'));
const rest = argv.filter((a, i) => i !== argv.indexOf(verb));
if (!verb) {
  err('systemctl shim: only the pmta unit is managed here.\n');
  process.exitCode = 1;
} else {
  process.exitCode = await act(verb, rest);
}
