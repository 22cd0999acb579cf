// The pmta.service unit as systemd would see it: LimitNOFILE from drop-ins
// (/etc/systemd/system/pmta.service.d/*.conf, lexical order, last assignment wins), loaded at
// daemon-reload (or first use), so an edited drop-in needs daemon-reload + restart like on systemd.
import fs from 'node:fs';
import path from 'node:path';
import { hostPath, PATHS } from './paths.mjs';

export const DEFAULT_NOFILE = { soft: 1024, hard: 524288 };
const CACHE = `${PATHS.stateDir}/unit.json`;

function nrOpen() {
  try {
    return Number(fs.readFileSync('/proc/sys/fs/nr_open', 'utf8').trim());
  } catch {
    return 1048576;
  }
}

function parseLimit(value) {
  if (value === '') return null;
  const one = (v) => (v === 'infinity' ? nrOpen() : Number(v));
  const [a, b] = value.split(':');
  const soft = one(a);
  const hard = b === undefined ? soft : one(b);
  if (!Number.isInteger(soft) || !Number.isInteger(hard)) return undefined;
  return { soft, hard };
}

/** Reads the drop-ins now. Returns { soft, hard, files, fingerprint }. */
export function readDropins() {
  const dir = hostPath(PATHS.dropinDir);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.conf')).sort() : [];
  let limit = { ...DEFAULT_NOFILE };
  const stamps = [];
  for (const f of files) {
    const p = path.join(dir, f);
    const text = fs.readFileSync(p, 'utf8');
    stamps.push(`${f}:${text.length}:${fs.statSync(p).mtimeMs}`);
    let section = '';
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
      const sec = /^\[(.+)\]$/.exec(line);
      if (sec) {
        section = sec[1];
        continue;
      }
      const m = /^LimitNOFILE\s*=\s*(.*)$/.exec(line);
      if (section === 'Service' && m) {
        const parsed = parseLimit(m[1].trim());
        if (parsed === null) limit = { ...DEFAULT_NOFILE };
        else if (parsed !== undefined) limit = parsed;
      }
    }
  }
  return { ...limit, files, fingerprint: stamps.join('|') };
}

/** The unit as loaded (cached at the last daemon-reload). */
export function loadedUnit() {
  const cache = hostPath(CACHE);
  if (fs.existsSync(cache)) return JSON.parse(fs.readFileSync(cache, 'utf8'));
  return daemonReload();
}

export function daemonReload() {
  const unit = readDropins();
  fs.mkdirSync(hostPath(PATHS.stateDir), { recursive: true });
  fs.writeFileSync(hostPath(CACHE), JSON.stringify(unit));
  return unit;
}

/** True when the drop-ins changed on disk since the last daemon-reload. */
export function unitChangedOnDisk() {
  return loadedUnit().fingerprint !== readDropins().fingerprint;
}
