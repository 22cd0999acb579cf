#!/usr/bin/env node
// `npm run demo`: bring up a 4-host lab fleet with mixed bottlenecks and audit it — the main
// job of mtafleet, on hosts that are real sshd servers in network namespaces on this machine.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin', 'mtafleet.js');
// The lab's settle time comes from the built sources (`npm run demo` builds first).
const { labSettleSeconds } = await import(join(root, 'dist', 'lab', 'scenarios.js'));
const LAB = process.env.MTAFLEET_DEMO_LAB || 'demo';
const SCENARIOS = 'healthy,spool-io,fd-limit,isp-limit';

function mtafleet(args, { allowFail = false } = {}) {
  console.log(`\n$ mtafleet ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  if (r.status !== 0 && !allowFail) {
    console.error(`demo: "mtafleet ${args.join(' ')}" exited ${r.status}`);
    process.exit(r.status ?? 1);
  }
  return r.status;
}

if (process.platform !== 'linux' || process.getuid?.() !== 0) {
  console.error('demo: the lab fleet needs root on Linux (network namespaces, loop devices).');
  process.exit(1);
}

// A previous demo may still be up: start from a clean lab.
mtafleet(['lab', 'down', '--name', LAB], { allowFail: true });
mtafleet(['lab', 'up', '4', '--name', LAB, '--scenarios', SCENARIOS]);
const upAt = Date.now();
const inventory = `/var/lib/mtafleet-lab/${LAB}/inventory.yaml`;
mtafleet(['inventory', '-i', inventory, '--graph']);
// The first audit must be right: wait out the lab's settle time (the longest time any of its
// scenarios needs to build up its symptom, src/lab/scenarios.ts), counted from `lab up`. The
// audit lab test audits 10 times in a row after the same wait and judges every audit.
const settleMs = labSettleSeconds(SCENARIOS.split(',')) * 1000;
const left = upAt + settleMs - Date.now();
if (left > 0) {
  console.log(`\n(waiting ${Math.ceil(left / 1000)} s: the lab's settle time, for the scenarios to build up their symptoms)`);
  await new Promise((r) => setTimeout(r, left));
}
// Audit findings do not change the exit code (no --fail-on), so a non-zero code is a real failure.
mtafleet(['audit', '-i', inventory]);
mtafleet(['audit', '-i', inventory, '--format', 'html', '--out', join(root, 'audit-demo.html')]);
mtafleet(['run', join(root, 'playbooks', 'fd-limit.yaml'), '-i', inventory, '--limit', 'mta03', '--check', '--diff'], { allowFail: true });
// Every audit above was recorded in the history store (STATE_DIR/history.sqlite): the lab's hosts over the last day.
mtafleet(['history', '-i', inventory, '--limit', 'all', '--since', '1d']);

console.log(`
The lab is still up, so you can keep going:
  npx mtafleet audit -i ${inventory} --format json
  npx mtafleet audit -i ${inventory} --compare last
  npx mtafleet run playbooks/fd-limit.yaml -i ${inventory} --limit mta03
  ssh -F /var/lib/mtafleet-lab/${LAB}/ssh_config mta01
Take it down with:  npx mtafleet lab down --name ${LAB}`);
