/**
 * fleet-audit: `mtafleet audit` of a lab fleet (20 and 50 hosts, mixed scenarios; tiny: 4)
 * against, at the same forks and on the same hosts with the same known_hosts and key:
 *   (a) plain OpenSSH: `xargs -P FORKS ssh -o BatchMode=yes ... root@HOST '<probe script>'`
 *   (b) Ansible ad-hoc `shell` with the same script: default config (ControlPersist on,
 *       pipelining off, first run: no live control masters) and tuned (pipelining on, warm
 *       ControlPersist), each with its own ansible.cfg in a temp dir.
 * The probe script is the exact batch mtafleet sends (buildProbeScript of all probes).
 */
import { readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { dist, mtafleetArgs } from './lib/paths.mjs';
import { auditOnce } from './lib/mtafleet.mjs';
import { settleLab, withLab, subInventory } from './lib/lab.mjs';
import { ensureDebianPackage, run, tempDir } from './lib/proc.mjs';
import { compare, measure } from './lib/stats.mjs';

const SIZES = { tiny: [4], full: [20, 50] };
export const FORKS = 20;
// 'on-host' is the floor: the same script run inside each host with nsenter, no ssh at all.
const TOOLS = ['mtafleet', 'openssh', 'ansible-default', 'ansible-tuned', 'on-host'];

export default async function fleetAudit({ size, runs, log }) {
  const notes = [];
  for (const [pkg, bin] of [['ansible-core', '/usr/bin/ansible'], ['openssh-client', '/usr/bin/ssh']]) {
    const n = ensureDebianPackage(pkg, bin, log);
    if (n) notes.push(n);
  }
  const { ALL_PROBES, buildProbeScript } = await import(dist('probes/index.js'));
  const { runInHost } = await import(dist('lab/index.js'));
  const probeScript = buildProbeScript(ALL_PROBES, {}).text;
  const sizes = SIZES[size];
  // MTAF_BENCH_SMALL_ONLY=1: only the small-script comparison, mtafleet exec vs xargs ssh (target 3).
  const smallOnly = process.env.MTAF_BENCH_SMALL_ONLY === '1';
  const dir = tempDir('fleet');
  try {
    return await withLab('bench', Math.max(...sizes), log, async (status) => {
      const quiet = await settleLab(log);
      const measures = [];
      const comparisons = [];
      const figures = {};
      for (const count of sizes) {
        const fleet = subInventory(status, count, dir);
        const ctx = { ...makeContext(dir, status, fleet, probeScript, count), runInHost };
        const samples = Object.fromEntries(TOOLS.map((t) => [t, []]));
        for (let i = 0; i < (smallOnly ? 0 : runs); i++) {
          // Rotate the order so load drift does not favour one tool.
          const order = TOOLS.map((_, k) => TOOLS[(k + i) % TOOLS.length]);
          for (const tool of order) {
            const seconds = await RUNNERS[tool](ctx);
            samples[tool].push(seconds);
            log(`${count} hosts, ${tool}: ${seconds.toFixed(2)} s`);
          }
        }
        if (!smallOnly) {
          const m = Object.fromEntries(TOOLS.map((t) => [t, measure(`${count} hosts: ${t}`, 's', samples[t])]));
          measures.push(...Object.values(m));
          comparisons.push(compare(`${count} hosts: mtafleet vs plain OpenSSH (xargs -P ${FORKS})`, m.mtafleet.median, m.openssh.median, 1.0));
          comparisons.push(compare(`${count} hosts: mtafleet vs Ansible default`, m.mtafleet.median, m['ansible-default'].median, 0.2));
          figures[`${count} hosts: mtafleet vs Ansible tuned (no target)`] = m.mtafleet.median / m['ansible-tuned'].median;
          figures[`${count} hosts: mtafleet vs the on-host floor (no target)`] = m.mtafleet.median / m['on-host'].median;
          figures[`${count} hosts: the on-host floor vs Ansible default (the best any tool can reach)`] = m['on-host'].median / m['ansible-default'].median;
        }
        // The tools' own cost, without the probe batch's on-host floor: a small script.
        const small = { ...ctx, probeScript: SMALL_SCRIPT };
        const smallTools = smallOnly ? SMALL_TOOLS.filter((t) => t !== 'ansible-default') : SMALL_TOOLS;
        const smallSamples = Object.fromEntries(smallTools.map((t) => [t, []]));
        for (let i = 0; i < runs; i++) {
          for (const tool of smallTools.map((_, k) => smallTools[(k + i) % smallTools.length])) {
            smallSamples[tool].push(await SMALL_RUNNERS[tool](small));
            log(`${count} hosts, small script, ${tool}: ${smallSamples[tool].at(-1).toFixed(2)} s`);
          }
        }
        const sm = Object.fromEntries(smallTools.map((t) => [t, measure(`${count} hosts, small script: ${t}`, 's', smallSamples[t])]));
        measures.push(...Object.values(sm));
        // Issue 17 target 3: at 50 hosts, mtafleet exec of a small script <= 0.5x of xargs -P 20 ssh.
        if (count >= 50) comparisons.push(compare(`${count} hosts, small script: mtafleet exec vs plain OpenSSH (xargs -P ${FORKS})`, sm['mtafleet-exec'].median, sm.openssh.median, 0.5));
        else figures[`${count} hosts, small script: mtafleet exec vs plain OpenSSH (no target)`] = sm['mtafleet-exec'].median / sm.openssh.median;
        if (sm['ansible-default']) figures[`${count} hosts, small script: mtafleet exec vs Ansible default (no target)`] = sm['mtafleet-exec'].median / sm['ansible-default'].median;
      }
      notes.push(`forks ${FORKS} for every tool; probe script ${probeScript.length} bytes, the same text for all`);
      notes.push('on-host = the probe script run inside each host with nsenter (no ssh): the floor no tool can beat');
      notes.push(quiet);
      return { status: 'ok', measures, comparisons, figures, notes };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function makeContext(dir, status, fleet, probeScript, count) {
  const base = join(dir, `n${count}`);
  mkdirSync(base, { recursive: true });
  const hostsFile = join(base, 'hosts.txt');
  writeFileSync(hostsFile, fleet.hosts.map((h) => h.address).join('\n') + '\n');
  return { base, status, fleet, probeScript, count, hostsFile };
}

/**
 * A small probe script (load, kernel, spool disk, fd limit, a sysctl: no 1 s sampling, no
 * simulator calls), as in the reference figures: what is left is each tool's own cost.
 */
const SMALL_SCRIPT = 'cat /proc/loadavg; uname -r; df -P /var/spool; ulimit -n; sysctl -n net.core.somaxconn; echo @@mtafleet-batch-0';
const SMALL_TOOLS = ['mtafleet-exec', 'openssh', 'ansible-default'];
const SMALL_RUNNERS = {
  async 'mtafleet-exec'(ctx) {
    const r = await run(process.execPath, [...mtafleetArgs, 'exec', '-i', ctx.fleet.file, '--forks', String(FORKS), '--format', 'json', '--', ctx.probeScript], { timeoutMs: 600_000 });
    const done = (r.stdout.match(/@@mtafleet-batch-0/g) ?? []).length;
    if (r.code !== 0 || done !== ctx.count) throw new Error(`mtafleet exec: exit ${r.code}, ${done} of ${ctx.count} hosts: ${r.stderr.slice(0, 400)}`);
    return r.wallMs / 1000;
  },
  openssh: (ctx) => RUNNERS.openssh(ctx),
  'ansible-default': (ctx) => RUNNERS['ansible-default'](ctx),
};

const RUNNERS = {
  mtafleet: (ctx) => auditOnce(ctx.fleet.file, FORKS, ctx.count),

  async openssh(ctx) {
    const ssh = ['ssh', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${ctx.status.knownHostsFile}`, '-o', 'ControlMaster=no', '-i', ctx.status.keyFile, '-l', 'root'];
    const r = await run('xargs', ['-a', ctx.hostsFile, '-P', String(FORKS), '-I', '{}', ...ssh, '{}', ctx.probeScript], { timeoutMs: 600_000 });
    const done = (r.stdout.match(/^@@mtafleet-batch-[0-9a-f]+$/gm) ?? []).length;
    if (r.code !== 0 || done !== ctx.count) throw new Error(`xargs ssh: exit ${r.code}, ${done} of ${ctx.count} batches: ${r.stderr.slice(0, 400)}`);
    return r.wallMs / 1000;
  },

  async 'on-host'(ctx) {
    const started = process.hrtime.bigint();
    const queue = [...ctx.fleet.hosts];
    const worker = async () => {
      for (let h = queue.shift(); h; h = queue.shift()) {
        const r = await ctx.runInHost(h.sshdPid, ctx.probeScript);
        if (r.exitCode !== 0 || !r.stdout.startsWith('@@mtafleet-batch-')) throw new Error(`probe batch inside ${h.name}: exit ${r.exitCode}: ${r.stderr.slice(0, 300)}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(FORKS, queue.length) }, worker));
    return Number(process.hrtime.bigint() - started) / 1e9;
  },

  async 'ansible-default'(ctx) {
    const cfg = ansibleConfig(ctx, 'default', false);
    try {
      return await ansible(ctx, cfg);
    } finally {
      await closeMasters(cfg.controlDir);
    }
  },

  async 'ansible-tuned'(ctx) {
    const cfg = ansibleConfig(ctx, 'tuned', true);
    try {
      await ansible(ctx, cfg); // warms the ControlPersist masters: not timed
      return await ansible(ctx, cfg);
    } finally {
      await closeMasters(cfg.controlDir);
    }
  },
};

/** ansible.cfg in its own dir: Ansible's default ssh_args plus the lab's known_hosts. */
function ansibleConfig(ctx, name, pipelining) {
  const dir = join(ctx.base, `ansible-${name}`);
  const controlDir = join(dir, 'cp');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(controlDir, { recursive: true });
  const file = join(dir, 'ansible.cfg');
  writeFileSync(
    file,
    [
      '[defaults]',
      'host_key_checking = True',
      `local_tmp = ${join(dir, 'tmp')}`,
      '[ssh_connection]',
      `ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${ctx.status.knownHostsFile}`,
      `control_path_dir = ${controlDir}`,
      `pipelining = ${pipelining ? 'True' : 'False'}`,
      '',
    ].join('\n'),
  );
  return { file, controlDir, dir };
}

async function ansible(ctx, cfg) {
  const env = { ...process.env, ANSIBLE_CONFIG: cfg.file, ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_NOCOLOR: '1', ANSIBLE_LOAD_CALLBACK_PLUGINS: '0', ANSIBLE_HOME: join(cfg.dir, 'home') };
  const r = await run('ansible', ['all', '-i', ctx.fleet.file, '-u', 'root', '--private-key', ctx.status.keyFile, '-f', String(FORKS), '-m', 'shell', '-a', shellArgs(ctx.probeScript)], { env, timeoutMs: 900_000 });
  const ok = (r.stdout.match(/^\S+ \| (CHANGED|SUCCESS) \| rc=0/gm) ?? []).length;
  if (ok !== ctx.count) throw new Error(`ansible: ${ok} of ${ctx.count} hosts ok (exit ${r.code}): ${(r.stdout.match(/^\S+ \| (FAILED|UNREACHABLE).*$/m) ?? [r.stderr.slice(0, 300)])[0]}`);
  return r.wallMs / 1000;
}

/**
 * The shell module's arguments as JSON (the k=v splitter rejects the script's quotes), the
 * script inside a Jinja raw block so templating hands it to the host unchanged.
 */
function shellArgs(script) {
  if (script.includes('{% endraw %}')) throw new Error('the probe script contains a Jinja endraw tag');
  return JSON.stringify({ cmd: `{% raw %}${script}{% endraw %}` });
}

/** Ends the ControlPersist masters Ansible left (ours: their sockets are in our temp dir). */
async function closeMasters(controlDir) {
  let sockets = [];
  try {
    sockets = readdirSync(controlDir);
  } catch {
    return;
  }
  await Promise.all(sockets.map((s) => run('ssh', ['-o', `ControlPath=${join(controlDir, s)}`, '-O', 'exit', 'mtaf-bench-master'], { timeoutMs: 10_000 })));
}
