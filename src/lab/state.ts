import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { InputError } from '../util/errors.js';

/**
 * The lab's state file. It is written BEFORE each resource is created (and again after, with
 * what was learnt, e.g. a loop device name or a pid), so `down` after a crash finds everything.
 */
const LoopSchema = z.object({
  role: z.enum(['nvme', 'used', 'spool']),
  file: z.string(),
  device: z.string().optional(),
});

const HostSchema = z.object({
  name: z.string(),
  index: z.number().int(),
  address: z.string(),
  netns: z.string(),
  veth: z.string(),
  scenario: z.string(),
  dir: z.string(),
  loops: z.array(LoopSchema),
  sshdPid: z.number().int().optional(),
  /** /proc/PID/stat start time, so a reused pid is never killed. */
  sshdStartTime: z.string().optional(),
});

const StateSchema = z.object({
  version: z.literal(1),
  name: z.string(),
  labDir: z.string(),
  createdAt: z.string(),
  subnet: z.number().int(),
  prefix: z.string(),
  bridge: z.string(),
  assetsDir: z.string(),
  hosts: z.array(HostSchema),
});

export type LoopRecord = z.infer<typeof LoopSchema>;
export type HostRecord = z.infer<typeof HostSchema>;
export type LabState = z.infer<typeof StateSchema>;

/** Synchronous on purpose: parallel host setup mutates one object, writes stay ordered. */
export function saveState(file: string, state: LabState): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

export function loadState(file: string): LabState | null {
  if (!existsSync(file)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`lab state file ${file} is not valid JSON (${(e as Error).message}); remove the lab by hand or fix the file`);
  }
  const parsed = StateSchema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw new InputError(`lab state file ${file} does not look like one mtafleet wrote: ${where}`);
  }
  return parsed.data;
}
