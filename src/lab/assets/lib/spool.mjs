// Message files in the spool: one file per message, in 16 subdirectories, fsynced like an MTA does.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

let counter = 0;
export function newMessageId() {
  counter = (counter + 1) % 1e6;
  return `${Date.now().toString(36)}${process.pid.toString(36)}${counter.toString(36).padStart(4, '0')}`;
}

export function messagePath(spoolDir, id) {
  const sub = (parseInt(id.slice(-2), 36) % 16).toString(16).padStart(2, '0');
  return path.join(spoolDir, sub, `${id}.msg`);
}

export function messageText(m, sizeBytes) {
  const head = [
    `X-Sim-Rcpt: ${m.rcpt}`,
    `X-Sim-Orig: ${m.orig}`,
    `X-Sim-Vmta: ${m.vmta}`,
    `X-Sim-Queued: ${m.queuedAt}`,
    `X-Sim-Job: ${m.jobId}`,
    `From: News <${m.orig}>`,
    `To: <${m.rcpt}>`,
    `Subject: Weekly newsletter ${m.id}`,
    `Message-ID: <${m.id}@sim.pmta>`,
    '',
    '',
  ].join('\r\n');
  const fill = Math.max(0, sizeBytes - head.length);
  return head + 'Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n'.repeat(Math.ceil(fill / 58)).slice(0, fill);
}

/** Writes one message in 4 KiB blocks, fsyncing each block (the spool-io load pattern) or once at the end. */
export async function writeMessage(spoolDir, m, { sizeBytes = 4096, syncEachBlock = false } = {}) {
  const file = messagePath(spoolDir, m.id);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const data = Buffer.from(messageText(m, sizeBytes));
  const fh = await fsp.open(file, 'wx');
  try {
    for (let off = 0; off < data.length; off += 4096) {
      await fh.write(data, off, Math.min(4096, data.length - off));
      if (syncEachBlock) await fh.datasync();
    }
    if (!syncEachBlock) await fh.sync();
  } finally {
    await fh.close();
  }
  return { ...m, file, size: data.length };
}

export function writeMessageSync(spoolDir, m, sizeBytes = 4096) {
  const file = messagePath(spoolDir, m.id);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const data = Buffer.from(messageText(m, sizeBytes));
  const fd = fs.openSync(file, 'wx');
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return { ...m, file, size: data.length };
}

/** Reads the envelope back from a spool file (recovery at start). Returns null for foreign files. */
export function readMessage(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(512);
    const n = fs.readSync(fd, buf, 0, 512, 0);
    const text = buf.subarray(0, n).toString('utf8');
    const field = (k) => new RegExp(`^${k}: (.*)$`, 'm').exec(text)?.[1]?.trim();
    const rcpt = field('X-Sim-Rcpt');
    if (!rcpt) return null;
    return {
      id: path.basename(file, '.msg'),
      file,
      rcpt,
      domain: rcpt.split('@')[1].toLowerCase(),
      orig: field('X-Sim-Orig') ?? 'bounce@news.example.org',
      vmta: field('X-Sim-Vmta') ?? null,
      queuedAt: Number(field('X-Sim-Queued') ?? Date.now()),
      jobId: field('X-Sim-Job') ?? '',
      size: fs.fstatSync(fd).size,
    };
  } finally {
    fs.closeSync(fd);
  }
}

/** All message files under the spool (one level of subdirectories). */
export function scanSpool(spoolDir) {
  const out = [];
  for (const entry of fs.readdirSync(spoolDir, { withFileTypes: true })) {
    const p = path.join(spoolDir, entry.name);
    if (entry.isDirectory()) {
      for (const f of fs.readdirSync(p)) if (f.endsWith('.msg')) out.push(path.join(p, f));
    } else if (entry.name.endsWith('.msg')) out.push(p);
  }
  return out;
}

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'];
export function randomRcpt(domain) {
  return `${USERS[Math.floor(Math.random() * USERS.length)]}${Math.floor(Math.random() * 100000)}@${domain}`;
}

/** Picks a domain from a { domain: weight } mix. */
export function pickDomain(mix) {
  const entries = Object.entries(mix);
  const sum = entries.reduce((a, [, w]) => a + w, 0);
  let x = Math.random() * sum;
  for (const [d, w] of entries) {
    x -= w;
    if (x <= 0) return d;
  }
  return entries[entries.length - 1][0];
}
