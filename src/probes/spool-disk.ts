import { script } from '../transport/quote.js';
import { dict, own } from '../util/dict.js';
import { looseValues, num, parseMarkers, unreadLine } from './sections.js';
import type { Probe, ProbeOutput, ProbeResult } from './types.js';

export interface IostatRow {
  device: string;
  util?: number;
  readsPerSec?: number;
  writesPerSec?: number;
  readAwaitMs?: number;
  writeAwaitMs?: number;
  /** Old sysstat's single `await` column (reads and writes together). */
  awaitMs?: number;
  queueSize?: number;
}

export interface SpoolDiskFacts {
  spools: Array<{
    dir: string;
    exists: boolean;
    source?: string;
    /** Kernel name of the device holding it (partition resolved to its disk). */
    device?: string;
    partition?: string;
    rotational?: boolean;
    loopBackingFile?: string;
    sizeKb?: number;
    availableKb?: number;
    usedPercent?: number;
  }>;
  /** Utilisation of each spool device over a ~1 s sample; source says which tool measured it. Keyed by host text: null-prototype. */
  io: Record<string, IostatRow & { source: 'iostat -x' | '/proc/diskstats' }>;
  benchmark?: { readIops: number; writeIops: number };
}

/** Device of each spool dir, its rotational flag and free space, then one utilisation sample. */
export const spoolDiskProbe: Probe<SpoolDiskFacts> = {
  name: 'spool-disk',
  samples: true,
  command: script(`mtaf_devs=
for mtaf_s in $MTAF_SPOOL_DIRS; do
  if [ ! -d "$mtaf_s" ]; then printf 'nodir\\t%s\\n' "$mtaf_s"; continue; fi
  # Lines cut and names taken with parameter expansion, not head/tail/tr/basename processes.
  mtaf_df=$(df -P "$mtaf_s" 2>/dev/null)
  printf 'df\\t%s\\t%s\\n' "$mtaf_s" "\${mtaf_df##*\${MTAF_NL}}"
  mtaf_src=$(findmnt -n -o SOURCE -T "$mtaf_s" 2>/dev/null); mtaf_src=\${mtaf_src%%\${MTAF_NL}*}
  if [ -z "$mtaf_src" ]; then
    case $mtaf_df in *"\${MTAF_NL}"*) mtaf_src=\${mtaf_df#*\${MTAF_NL}}; mtaf_src=\${mtaf_src%%\${MTAF_NL}*}; mtaf_src=\${mtaf_src%%[\${MTAF_WS}]*} ;; esac
  fi
  # The block device by its numbers: bind mounts ("/dev/vda[/sub/dir]"), /dev/root and
  # /dev/mapper names all resolve through /sys/dev/block/MAJ:MIN.
  mtaf_mm=$(findmnt -n -o MAJ:MIN -T "$mtaf_s" 2>/dev/null); mtaf_mm=\${mtaf_mm%%\${MTAF_NL}*}
  while case $mtaf_mm in *' '*) true ;; *) false ;; esac; do mtaf_mm="\${mtaf_mm%%' '*}\${mtaf_mm#*' '}"; done
  if [ -z "$mtaf_mm" ]; then
    mtaf_d=$(stat -c %d "$mtaf_s" 2>/dev/null || echo 0)
    mtaf_mm="$(( (mtaf_d >> 8) & 4095 )):$(( (mtaf_d & 255) | ((mtaf_d >> 12) & 1048320) ))"
  fi
  mtaf_dev=
  [ -e "/sys/dev/block/$mtaf_mm" ] && mtaf_x=$(readlink -f "/sys/dev/block/$mtaf_mm") && mtaf_dev=\${mtaf_x##*/}
  if [ -z "$mtaf_dev" ]; then
    mtaf_x=$(readlink -f "\${mtaf_src%%[[]*}" 2>/dev/null || echo "$mtaf_src")
    while case $mtaf_x in ?*/) true ;; *) false ;; esac; do mtaf_x=\${mtaf_x%/}; done
    mtaf_dev=\${mtaf_x##*/}; [ -n "$mtaf_dev" ] || mtaf_dev=$mtaf_x
  fi
  mtaf_disk=$mtaf_dev
  if [ -e "/sys/class/block/$mtaf_dev/partition" ]; then
    mtaf_x=$(readlink -f "/sys/class/block/$mtaf_dev"); mtaf_x=\${mtaf_x%/*}; mtaf_disk=\${mtaf_x##*/}
  fi
  printf 'device\\t%s\\t%s\\t%s\\t%s\\n' "$mtaf_s" "$mtaf_src" "$mtaf_dev" "$mtaf_disk"
  if [ -e "/sys/block/$mtaf_disk" ]; then
    printf 'rotational\\t%s\\t%s\\n' "$mtaf_disk" "$(cat "/sys/block/$mtaf_disk/queue/rotational" 2>/dev/null)"
    [ -r "/sys/block/$mtaf_disk/loop/backing_file" ] && printf 'backing\\t%s\\t%s\\n' "$mtaf_disk" "$(cat "/sys/block/$mtaf_disk/loop/backing_file")"
    case " $mtaf_devs " in *" $mtaf_disk "*) ;; *) mtaf_devs="$mtaf_devs $mtaf_disk" ;; esac
  fi
done
if [ -n "$mtaf_devs" ]; then
  if mtaf_has iostat; then
    mtaf_iostat() { iostat -dxy "$@" 1 1 2>/dev/null || iostat -dx "$@" 1 2; }
    mtaf_sub iostat mtaf_iostat $mtaf_devs
  else
    printf 'noiostat\\n'
    mtaf_sub diskstats sh -c 'cat /proc/uptime; for d in "$@"; do grep " $d " /proc/diskstats; done; sleep 1; cat /proc/uptime; for d in "$@"; do grep " $d " /proc/diskstats; done' sh $mtaf_devs
  fi
fi
if [ "$MTAF_BENCH" = 1 ]; then
  mtaf_s=$(printf '%s\\n' $MTAF_SPOOL_DIRS | head -n 1)
  if mtaf_has fio; then
    mtaf_sub fio fio --name=mtafleet-spool --filename="$mtaf_s/mtafleet-fio-test" --size=256M --rw=randrw --bs=4k --iodepth=32 --ioengine=libaio --direct=1 --runtime=10 --time_based --output-format=json
    rm -f "$mtaf_s/mtafleet-fio-test"
  else
    printf 'nofio\\n'
  fi
fi`),
  parse: parseSpoolDisk,
};

export function parseSpoolDisk(output: ProbeOutput): ProbeResult<SpoolDiskFacts> {
  const markers = parseMarkers(output.stdout);
  const values = looseValues(markers.loose);
  const warnings: string[] = [];
  const facts: SpoolDiskFacts = { spools: [], io: dict() };
  for (const dir of values.get('nodir') ?? []) {
    facts.spools.push({ dir, exists: false });
    warnings.push(`spool directory ${dir} does not exist`);
  }
  const rotational = new Map((values.get('rotational') ?? []).map((v) => v.split('\t') as [string, string]));
  const backing = new Map((values.get('backing') ?? []).map((v) => v.split('\t') as [string, string]));
  const df = new Map((values.get('df') ?? []).map((v) => v.split('\t') as [string, string]));
  for (const line of values.get('device') ?? []) {
    const [dir, source, partition, device] = line.split('\t');
    const dfRow = (df.get(dir) ?? '').trim().split(/\s+/);
    const rot = rotational.get(device)?.trim();
    // df -P: "Filesystem 1024-blocks Used Available Capacity Mounted-on"; anything else is said.
    if (dfRow.length < 6 || num(dfRow[1]) === undefined || num(dfRow[3]) === undefined || !/^\d+%$/.test(dfRow[4] ?? '')) {
      warnings.push(`spool-disk: df -P ${dir}: not understood: "${(df.get(dir) ?? '(no output)').trim().slice(0, 120)}"`);
    }
    if (rot !== undefined && rot !== '0' && rot !== '1') warnings.push(`spool-disk: /sys/block/${device}/queue/rotational: not understood: "${rot.slice(0, 40)}"`);
    if (!device) warnings.push(`spool-disk: no block device found for spool ${dir} (source "${source ?? ''}")`);
    facts.spools.push({
      dir,
      exists: true,
      source,
      device,
      partition: partition !== device ? partition : undefined,
      rotational: rot === '1' ? true : rot === '0' ? false : undefined,
      loopBackingFile: backing.get(device),
      sizeKb: num(dfRow[1]),
      availableKb: num(dfRow[3]),
      usedPercent: num(dfRow[4]?.replace('%', '')),
    });
  }
  const iostat = markers.subs.get('iostat');
  if (iostat) {
    const result = parseIostat(iostat.text);
    warnings.push(...result.warnings);
    for (const row of result.rows) facts.io[row.device] = { ...row, source: 'iostat -x' };
  }
  const diskstats = markers.subs.get('diskstats');
  if (diskstats) {
    warnings.push('iostat (sysstat) not installed: utilisation computed from /proc/diskstats');
    for (const row of parseDiskstatsSamples(diskstats.text, warnings)) facts.io[row.device] = { ...row, source: '/proc/diskstats' };
  }
  const fio = markers.subs.get('fio');
  if (fio) {
    const bench = parseFioJson(fio.text);
    if (bench) facts.benchmark = bench;
    else warnings.push(`fio benchmark gave no result: ${fio.text.trim().slice(0, 120)}`);
  }
  if (values.has('nofio')) warnings.push('fio not installed: disk benchmark skipped');
  for (const spool of facts.spools) {
    if (spool.device && !facts.io[spool.device]) warnings.push(`no utilisation sample for ${spool.device} (spool ${spool.dir})`);
  }
  if (facts.spools.length === 0) return { status: 'unavailable', reason: 'no spool directory found' };
  return { status: 'ok', facts, warnings };
}

/** Column name aliases across sysstat versions (old: await, avgqu-sz, rrqm/s...; new: r_await, aqu-sz). */
const COLUMNS: Record<string, keyof IostatRow> = {
  '%util': 'util',
  'r/s': 'readsPerSec',
  'w/s': 'writesPerSec',
  r_await: 'readAwaitMs',
  w_await: 'writeAwaitMs',
  await: 'awaitMs',
  'aqu-sz': 'queueSize',
  'avgqu-sz': 'queueSize',
};

/**
 * `iostat -x` device reports. With several reports (no -y), the last one is the interval
 * sample and wins. Header-driven: columns are found by name, never by position.
 */
export function parseIostat(text: string): { rows: IostatRow[]; warnings: string[] } {
  const warnings: string[] = [];
  const rows = new Map<string, IostatRow>();
  let header: string[] | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') {
      header = null;
      continue;
    }
    const f = line.split(/\s+/);
    if (/^Device:?$/.test(f[0])) {
      header = f;
      continue;
    }
    if (/^Linux\s/.test(line) || /^avg-cpu/.test(line)) continue;
    if (!header) {
      if (!/^\s*[\d.]+(\s+[\d.]+)*$/.test(line)) warnings.push(`iostat -x: unrecognised line: ${line.slice(0, 100)}`);
      continue;
    }
    if (f.length !== header.length) {
      warnings.push(`iostat: row with ${f.length} columns under a ${header.length}-column header: ${line.slice(0, 100)}`);
      continue;
    }
    const row: IostatRow = { device: f[0] };
    header.forEach((name, i) => {
      const key = own(COLUMNS, name);
      if (!key || key === 'device') return;
      (row as unknown as Record<string, number | undefined>)[key] = num(f[i]);
      if (num(f[i]) === undefined) warnings.push(`iostat -x: ${name} of ${f[0]} is not a number: "${(f[i] ?? '').slice(0, 20)}"`);
    });
    rows.set(row.device, row);
  }
  return { rows: [...rows.values()], warnings };
}

/** Two samples of /proc/uptime + /proc/diskstats lines: %util from io_ticks (field 13). */
export function parseDiskstatsSamples(text: string, warnings: string[] = []): IostatRow[] {
  const samples: Array<{ uptime: number; disks: Map<string, number[]> }> = [];
  text.split('\n').forEach((line, i) => {
    const f = line.trim().split(/\s+/);
    if (f[0] === '') return;
    if (f.length === 2 && num(f[0]) !== undefined) samples.push({ uptime: Number(f[0]), disks: new Map() });
    else if (f.length >= 14 && samples.length > 0 && f.slice(3).every((x) => num(x) !== undefined)) samples[samples.length - 1].disks.set(f[2], f.slice(3).map(Number));
    else warnings.push(unreadLine('spool-disk: /proc/uptime, /proc/diskstats', i + 1, line));
  });
  if (samples.length < 2) return [];
  const [a, b] = samples;
  const ms = (b.uptime - a.uptime) * 1000;
  const rows: IostatRow[] = [];
  for (const [device, after] of b.disks) {
    const before = a.disks.get(device);
    if (!before || ms <= 0) continue;
    rows.push({
      device,
      util: Math.min(100, ((after[9] - before[9]) / ms) * 100),
      readsPerSec: ((after[0] - before[0]) * 1000) / ms,
      writesPerSec: ((after[4] - before[4]) * 1000) / ms,
    });
  }
  return rows;
}

export function parseFioJson(text: string): { readIops: number; writeIops: number } | null {
  try {
    const json = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)) as {
      jobs?: Array<{ read?: { iops?: number }; write?: { iops?: number } }>;
    };
    const job = json.jobs?.[0];
    if (!job) return null;
    return { readIops: job.read?.iops ?? 0, writeIops: job.write?.iops ?? 0 };
  } catch {
    return null;
  }
}
