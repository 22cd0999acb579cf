/**
 * accounting: the on-host accounting analysis (the awk program the accounting probe ships,
 * run locally through mawk with `sh -c`, exactly the probe's command text) against the source
 * article's one-line `awk -F,` hourly count, on the same generated file, in the same run.
 * Also: peak RSS of both (and of the analysis on 1/8 of the file: memory must not grow with
 * the file), the one-liner's miscount of quoted-comma lines, and the repeated-audit figure.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, openSync, readSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateAccounting } from './lib/acct-gen.mjs';
import { dist } from './lib/paths.mjs';
import { dropCaches, ensureDebianPackage, tempDir, timed, run } from './lib/proc.mjs';
import { compare, measure } from './lib/stats.mjs';

const SIZES = { tiny: 4 * 2 ** 20, full: 2 ** 30 };
const ONE_LINER = `awk -F, 'NR>1 && $1=="d" {hour=substr($2,1,13); count[hour]++} END { for(h in count) print h, count[h] }' "$1"`;
// The same naive split, counting per source IP: the article's "$15" per-IP breakdown.
const ONE_LINER_PER_IP = `awk -F, 'NR>1 && $1=="d" {ip[$15]++} END { for(i in ip) print i, ip[i] }' "$1"`;
const TARGET = 2.0;

export default async function accounting({ size, runs, log }) {
  const notes = [];
  for (const [pkg, bin] of [['mawk', '/usr/bin/mawk'], ['time', '/usr/bin/time']]) {
    const n = ensureDebianPackage(pkg, bin, log);
    if (n) notes.push(n);
  }
  const { accountingProbe, parseAccounting } = await import(dist('probes/accounting.js'));
  const dir = tempDir('acct');
  try {
    // `awk` on the PATH is mawk, as on a stock Debian host, for both programs.
    const shim = join(dir, 'bin');
    mkdirSync(shim);
    symlinkSync('/usr/bin/mawk', join(shim, 'awk'));
    const file = join(dir, 'acct.csv');
    log(`generating ${(SIZES[size] / 2 ** 20).toFixed(0)} MiB of accounting CSV in ${dir}`);
    const genStart = Date.now();
    const truth = generateAccounting(file, SIZES[size]);
    log(`generated ${truth.lines} lines in ${((Date.now() - genStart) / 1000).toFixed(1)} s`);
    // The window covers the whole file so the analysis aggregates every record, as the
    // one-liner counts every record (with the default 24 h window it would do less work).
    const windowHours = 24 * 7;
    const env = { ...process.env, PATH: `${shim}:${process.env.PATH}`, LC_ALL: 'C', MTAF_ACCT_FILES: file, MTAF_WINDOW_HOURS: String(windowHours) };
    const analysis = (f) => timed('sh', ['-c', accountingProbe.command.text], { env: { ...env, MTAF_ACCT_FILES: f } });
    const oneLiner = (f, text = ONE_LINER) => timed('sh', ['-c', text, 'sh', f], { env });

    const cold = size === 'full';
    const cache = cold && dropCaches() ? 'cold' : 'warm';
    if (cold && cache === 'warm') notes.push('could not drop the page cache: both sides measured warm');
    if (cache === 'warm') await run('cat', [file], { maxOutput: 0 }); // same warm start for both
    const samples = { analysis: [], oneLiner: [], analysisRss: [], oneLinerRss: [] };
    let last;
    for (let i = 0; i < runs; i++) {
      // Alternate which side goes first so drift in machine load does not favour one.
      const order = i % 2 === 0 ? ['oneLiner', 'analysis'] : ['analysis', 'oneLiner'];
      for (const side of order) {
        if (cache === 'cold') dropCaches();
        const r = side === 'analysis' ? await analysis(file) : await oneLiner(file);
        if (r.code !== 0) throw new Error(`${side} exited ${r.code}: ${r.stderr.slice(0, 400)}`);
        samples[side].push(r.wallMs / 1000);
        samples[`${side}Rss`].push(r.maxRssMb);
        if (side === 'analysis') last = r;
      }
    }

    const parsed = parseAccounting({ stdout: last.stdout, stderr: last.stderr, exitCode: last.code });
    const check = checkAnalysis(parsed, truth);
    const miscount = await oneLinerMiscount(oneLiner, file, truth);

    // Memory bounded: the same analysis on the first eighth of the file.
    const small = join(dir, 'acct-eighth.csv');
    copyPrefixLines(file, small, Math.floor(truth.bytes / 8));
    const smallRun = await analysis(small);
    rmSync(small, { force: true });

    const measures = [
      measure('analysis (probe awk program, mawk)', 's', samples.analysis),
      measure('one-liner (awk -F, hourly count, mawk)', 's', samples.oneLiner),
      measure('analysis peak RSS', 'MB', samples.analysisRss),
      measure('one-liner peak RSS', 'MB', samples.oneLinerRss),
    ];
    const comparisons = [compare(`${cache} analysis time vs one-liner`, measures[0].median, measures[1].median, TARGET)];
    return {
      status: 'ok',
      cache,
      file: { bytes: truth.bytes, lines: truth.lines, byType: truth.byType, from: truth.first, to: truth.last },
      measures,
      comparisons,
      figures: {
        'analysis MB/s (median)': truth.bytes / 2 ** 20 / measures[0].median,
        'one-liner MB/s (median)': truth.bytes / 2 ** 20 / measures[1].median,
        'analysis peak RSS on 1/8 of the file (MB)': smallRun.maxRssMb,
        'analysis correct (records, per IP, per hour vs truth)': check.ok ? 'yes' : `NO: ${check.problems.join('; ')}`,
        'one-liner hourly counts correct': miscount.hourlyCorrect ? 'yes' : 'no',
        'one-liner per-IP ($15): d records in a wrong column': miscount.wrongColumn,
        'one-liner per-IP ($15): share of d records misattributed': miscount.wrongShare,
        'one-liner per-IP ($15): keys that are not IPs': miscount.bogusKeys,
        'lines with a quoted field (commas inside)': truth.quotedCommaRecords,
        'repeated audit (incremental cursor)': repeatedAuditStatus(),
      },
      notes: [
        ...notes,
        `analysis window ${windowHours} h (whole file); the one-liner computes hourly d counts only, the analysis hourly/per-IP/per-domain d/t/b and deferral patterns`,
        'the shipped analysis reads the file twice (pass 1: newest record, pass 2: the window); the one-liner reads it once',
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function checkAnalysis(parsed, truth) {
  const problems = [];
  if (parsed.status !== 'ok') return { ok: false, problems: [`probe parser: ${parsed.reason}`] };
  const f = parsed.facts;
  const want = truth.byType.d + truth.byType.t + truth.byType.b;
  if (f.records !== want) problems.push(`records ${f.records} != ${want}`);
  for (const [ip, n] of Object.entries(truth.deliveredByIp)) {
    if ((f.bySourceIp[ip]?.delivered ?? 0) !== n) problems.push(`${ip} delivered ${f.bySourceIp[ip]?.delivered} != ${n}`);
  }
  const hourly = Object.fromEntries(f.hourly.map((h) => [h.hour, h.delivered]));
  for (const [hour, n] of Object.entries(truth.deliveredByHour)) if (hourly[hour] !== n) problems.push(`hour ${hour} delivered ${hourly[hour]} != ${n}`);
  return { ok: problems.length === 0, problems: problems.slice(0, 5) };
}

/** The naive split's per-IP counts against the truth (run once, not timed). */
async function oneLinerMiscount(oneLiner, file, truth) {
  const hourly = await oneLiner(file);
  const hours = Object.fromEntries(hourly.stdout.trim().split('\n').map((l) => { const i = l.lastIndexOf(' '); return [l.slice(0, i), Number(l.slice(i + 1))]; }));
  const hourlyCorrect = Object.entries(truth.deliveredByHour).every(([h, n]) => hours[h] === n) && Object.keys(hours).length === Object.keys(truth.deliveredByHour).length;
  const perIp = await oneLiner(file, ONE_LINER_PER_IP);
  const counts = new Map();
  for (const l of perIp.stdout.trim().split('\n')) {
    const i = l.lastIndexOf(' ');
    counts.set(l.slice(0, i), Number(l.slice(i + 1)));
  }
  let wrong = 0;
  let bogusKeys = 0;
  for (const [key, n] of counts) {
    if (!(key in truth.deliveredByIp)) {
      wrong += n;
      bogusKeys++;
    }
  }
  // A right key can only lose records (a shifted line never lands on a real IP column value
  // of its own IP), so the records outside real IPs are exactly the misattributed ones.
  const totalD = truth.byType.d;
  if (wrong !== truth.naiveWrongIpColumn) throw new Error(`one-liner miscount ${wrong} disagrees with the generator's ${truth.naiveWrongIpColumn}`);
  return { hourlyCorrect, wrongColumn: wrong, wrongShare: totalD > 0 ? wrong / totalD : 0, bogusKeys };
}

/** The probe has no cursor: say so rather than invent a figure. Re-checked on every run. */
function repeatedAuditStatus() {
  const sources = ['probes/accounting.js', 'probes/accounting-awk.js'].map((f) => dist(f)).filter(existsSync).map((f) => readFileSync(f, 'utf8')).join('\n');
  return /cursor|offset|inode/i.test(sources)
    ? 'the probe mentions a cursor: extend bench/accounting.mjs to drive it (not measured yet)'
    : 'not implemented: the accounting probe keeps no cursor (src/probes/accounting.ts reads the whole window on every audit)';
}

/** Copies whole lines from the start of src up to about `bytes`. */
function copyPrefixLines(src, dest, bytes) {
  const buf = Buffer.alloc(bytes);
  const fd = openSync(src, 'r');
  const n = readSync(fd, buf, 0, bytes, 0);
  closeSync(fd);
  const end = buf.lastIndexOf(0x0a, n - 1) + 1;
  writeFileSync(dest, buf.subarray(0, end));
}
