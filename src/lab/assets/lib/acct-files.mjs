// The accounting files of the simulator, one per <acct-file> block (UG §11.3): each holds the
// record types of its `records` (a delivery logged by two blocks is in both files). With
// `dated` (world.json "acctDatedNames"), the live file is named as UG §11.3.1 says
// (<acct-file log/acct.csv> writes acct-2007-09-05-0000.csv: the date and a counter), and every
// `move-interval` it is closed and moved to `move-to` (or left in place), and a new one starts.
// Pipes (`|cmd`) are not files: skipped.
import fs from 'node:fs';
import path from 'node:path';
import { acctHeaderLine, isoTime } from './acct.mjs';
import { hostPath } from './paths.mjs';

const HOUR_MS = 3600_000;

/** "1h" / "5m" / "30s" / "1d" -> ms; null when absent or unreadable. */
export function intervalMs(text) {
  const m = /^\s*(\d+)\s*([smhd]?)\s*$/i.exec(text ?? '');
  if (!m) return null;
  return Number(m[1]) * { '': 1000, s: 1000, m: 60_000, h: HOUR_MS, d: 24 * HOUR_MS }[m[2].toLowerCase()];
}

/** The in-host path of a block's argument: unquoted; null for a pipe. */
export function acctPath(arg) {
  const p = /^".*"$/.test(arg) ? arg.slice(1, -1) : arg;
  return p.startsWith('|') ? null : p;
}

/** acct.csv -> acct-YYYY-MM-DD-NNNN.csv in the same directory (UG §11.3.1). */
export function datedName(file, ms, counter) {
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}-${isoTime(ms).slice(0, 10)}-${String(counter).padStart(4, '0')}${ext}`;
}

export class AcctFile {
  /** spec: { path, records, moveTo, moveInterval } from the config model; dated: UG naming. */
  constructor(spec, dated) {
    this.path = spec.path;
    this.records = spec.records;
    this.moveTo = spec.moveTo ?? null;
    this.intervalMs = intervalMs(spec.moveInterval);
    this.dated = dated;
    this.counter = 0;
    this.day = '';
    this.fd = null;
    this.live = null;
  }

  holds(type) {
    return this.records.includes(type);
  }

  /** The live file's in-host name for instant ms (a new day restarts the counter). */
  nameAt(ms) {
    if (!this.dated) return this.path;
    const day = isoTime(ms).slice(0, 10);
    if (day !== this.day) {
      this.day = day;
      this.counter = 0;
    }
    return datedName(this.path, ms, this.counter);
  }

  /**
   * Opens the live file; when it is new, writes the backdated history first: `hours` yields
   * { hourStart, text } (all record types). Dated files with a move interval get one file per
   * interval, the past ones already moved (mtime = the end of their interval).
   */
  open(hours, now) {
    fs.mkdirSync(path.dirname(hostPath(this.path)), { recursive: true });
    if (!this.dated) {
      const fresh = !fs.existsSync(hostPath(this.path));
      this.openLive(this.path);
      if (fresh) for (const { text } of hours()) this.writeText(text);
      return;
    }
    const counters = this.existing(now);
    if (counters === null) {
      if (this.intervalMs) return this.writeArchives(hours, now);
      this.openLive(this.nameAt(now));
      for (const { text } of hours()) this.writeText(text);
      return;
    }
    // A restart: a new live file after the highest counter of today (never over an archive).
    this.nameAt(now);
    this.counter = counters + 1;
    this.openLive(this.nameAt(now));
  }

  /** The highest counter of today's dated files (live dir and move-to), or null when there are no dated files at all. */
  existing(now) {
    const ext = path.extname(this.path);
    const base = path.basename(this.path, ext);
    const esc = (t) => t.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');
    const re = new RegExp(`^${esc(base)}-(\\d{4}-\\d\\d-\\d\\d)-(\\d{4})${esc(ext)}$`);
    const today = isoTime(now).slice(0, 10);
    let any = false;
    let max = -1;
    for (const dir of new Set([path.dirname(this.path), this.archiveDir()])) {
      let names = [];
      try {
        names = fs.readdirSync(hostPath(dir));
      } catch {
        continue;
      }
      for (const n of names) {
        const m = re.exec(n);
        if (!m) continue;
        any = true;
        if (m[1] === today) max = Math.max(max, Number(m[2]));
      }
    }
    return any ? max : null;
  }

  archiveDir() {
    return this.moveTo ?? path.dirname(this.path);
  }

  writeArchives(hours, now) {
    const step = this.intervalMs;
    let slot = null;
    let fd = null;
    let name = null;
    const close = () => {
      if (fd === null) return;
      fs.closeSync(fd);
      const end = Math.min(now, slot + step) / 1000;
      const dest = path.join(this.archiveDir(), path.basename(name));
      fs.mkdirSync(hostPath(this.archiveDir()), { recursive: true });
      fs.renameSync(hostPath(name), hostPath(dest));
      fs.utimesSync(hostPath(dest), end, end);
      this.counter += 1;
      fd = null;
    };
    for (const { hourStart, text } of hours()) {
      const s = Math.floor(hourStart / step) * step;
      if (s !== slot) {
        close();
        slot = s;
        name = this.nameAt(s);
        fd = fs.openSync(hostPath(name), 'w');
        fs.writeSync(fd, acctHeaderLine());
      }
      fs.writeSync(fd, this.filter(text));
    }
    close();
    this.openLive(this.nameAt(now));
  }

  openLive(name) {
    const real = hostPath(name);
    const fresh = !fs.existsSync(real);
    this.fd = fs.openSync(real, 'a');
    this.live = name;
    if (fresh) fs.writeSync(this.fd, acctHeaderLine());
  }

  /** The lines of text whose type this file holds. */
  filter(text) {
    if (this.records.includes('d') && this.records.includes('t') && this.records.includes('b')) return text;
    return text
      .split('\n')
      .filter((l) => l !== '' && this.holds(l.slice(0, l.indexOf(','))))
      .map((l) => `${l}\n`)
      .join('');
  }

  writeText(text) {
    const t = this.filter(text);
    if (t) fs.writeSync(this.fd, t);
  }

  write(type, line) {
    if (this.holds(type)) fs.writeSync(this.fd, line);
  }

  /** Closes the live file, moves it (move-to) or renames it (undated), starts a new one. */
  rotate(now = Date.now()) {
    fs.closeSync(this.fd);
    if (this.dated) {
      if (this.moveTo) {
        fs.mkdirSync(hostPath(this.moveTo), { recursive: true });
        fs.renameSync(hostPath(this.live), hostPath(path.join(this.moveTo, path.basename(this.live))));
      }
      this.counter += 1;
      this.openLive(this.nameAt(now));
      return;
    }
    // The lab's older layout: the plain name, rotated aside with the minute in its name.
    const stamp = isoTime(now).slice(0, 16).replace(' ', '-').replace(':', '');
    const real = hostPath(this.path);
    fs.renameSync(real, path.join(path.dirname(real), `${path.basename(this.path, path.extname(this.path))}-${stamp}${path.extname(this.path)}`));
    this.openLive(this.path);
  }
}

/** The files of the config's acct-file blocks (default: acct.csv with d,b, UG §11.2.1). */
export function acctFiles(model, defaultPath, dated) {
  const specs = model.acctFiles.length > 0 ? model.acctFiles : [{ path: defaultPath, records: ['d', 'b'] }];
  const files = [];
  for (const spec of specs) {
    const p = acctPath(spec.path);
    if (p !== null) files.push(new AcctFile({ ...spec, path: p }, dated));
  }
  return files;
}

/** Every file rotates on its own move-interval boundary (dated files only). */
export function scheduleMoves(files, onError) {
  const timers = [];
  for (const f of files) {
    if (!f.dated || !f.intervalMs) continue;
    const tick = () => {
      try {
        f.rotate();
      } catch (err) {
        onError(err);
      }
      timers.push(setTimeout(tick, f.intervalMs - (Date.now() % f.intervalMs)).unref());
    };
    timers.push(setTimeout(tick, f.intervalMs - (Date.now() % f.intervalMs)).unref());
  }
  return timers;
}
