/**
 * The accounting cursor store: one JSON file per host in the runner's private state directory
 * (never on the host). A missing file, or one that is not a cursor, is no cursor: the next
 * audit then analyses the whole window, which is always correct, only slower. A cursor file
 * or dir that is not private to us (another owner, a symlink, group/other access) is refused:
 * its values go back to the host script.
 */
import { join } from 'node:path';
import { checkPrivateDir, ensurePrivateDir, readPrivateFile, writeFileReplacing } from '../util/private-fs.js';
import { z } from 'zod';
import { dict } from '../util/dict.js';
import type { AccountingCursor } from './accounting-merge.js';

export type { AccountingCursor } from './accounting-merge.js';

/**
 * Like z.record(z.string().regex(key), value), but into a null-prototype object that keeps
 * every key: z.record drops a "__proto__" key unchecked, and a domain any sender can pick
 * must neither vanish nor slip past the key check.
 */
function dictOf<T extends z.ZodType>(value: T, key = /^/) {
  return z.unknown().transform((input, ctx) => {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      ctx.addIssue({ code: 'custom', message: 'expected an object' });
      return z.NEVER;
    }
    const out = dict<z.output<T>>();
    for (const [k, item] of Object.entries(input)) {
      const r = value.safeParse(item);
      if (!key.test(k) || !r.success) {
        ctx.addIssue({ code: 'custom', message: `${k}: ${r.success ? 'bad key' : r.error.message}` });
        return z.NEVER;
      }
      out[k] = r.data;
    }
    return out;
  });
}

const counts = z.object({ delivered: z.number(), deferred: z.number(), bounced: z.number() });
const partial = z.object({
  minE: z.number(),
  minText: z.string(),
  hours: dictOf(counts),
  ips: dictOf(counts),
  domains: dictOf(counts),
  diags: dictOf(z.number()),
  pairs: dictOf(counts.extend({ policy: z.number(), queueFailures: z.number() })),
  fails: dictOf(z.number()),
});
const CursorSchema = z.object({
  // A cursor of an older version holds fewer aggregates: dropped (a full read), never misread.
  version: z.literal(2),
  hostId: z.string().regex(/^[0-9a-f]*$/),
  windowHours: z.number().int().positive(),
  newest: z.object({ e: z.number().int(), text: z.string() }).nullable(),
  // Values go back to the host script (quoted, but also into its line protocol): strict shapes.
  files: z.array(
    z.object({
      path: z.string().regex(/^[^\t\n]+$/),
      // inode-birthtime: a log recreated at a reused inode number is a different file.
      inode: z.string().regex(/^\d+(-\d+)?$/),
      offset: z.number().int().nonnegative(),
      cols: z.string().regex(/^(\d+( \d+){8})?$/),
    }),
  ),
  // Keys are hour numbers (mergeScan reads them with Number()).
  buckets: dictOf(partial, /^-?\d+$/),
  ranges: z.array(z.object({ file: z.number().int().nonnegative(), bucket: z.number().int(), start: z.number().int().nonnegative(), end: z.number().int().nonnegative() })),
  edge: z.object({ bucket: z.number(), start: z.number(), partial }).nullable(),
  counts: z.object({ badtime: z.number(), noheader: z.number(), unterminated: z.number(), notime: z.number().optional() }),
  oldest: z.object({ e: z.number().int(), text: z.string() }).nullable().optional(),
  mx: dictOf(z.string().max(255)),
});

/** The file of one host's cursor: the host name made safe as a file name. */
export function cursorPath(stateDir: string, host: string): string {
  const safe = host.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return join(stateDir, 'accounting', `${safe.startsWith('.') ? `%2e${safe.slice(1)}` : safe}.json`);
}

/** The cursor dir, created private if missing (call before touching any host). */
export function ensureCursorDir(stateDir: string): string {
  ensurePrivateDir(stateDir, true);
  return ensurePrivateDir(join(stateDir, 'accounting'));
}

/** The host's saved cursor, or undefined (none yet, or not readable as a cursor). */
export function loadAccountingCursor(stateDir: string, host: string): AccountingCursor | undefined {
  if (!checkPrivateDir(stateDir) || !checkPrivateDir(join(stateDir, 'accounting'))) return undefined;
  const text = readPrivateFile(cursorPath(stateDir, host));
  if (text === undefined) return undefined;
  try {
    const parsed = CursorSchema.safeParse(JSON.parse(text));
    return parsed.success ? (parsed.data as AccountingCursor) : undefined;
  } catch {
    return undefined;
  }
}

/** Saves atomically (temp file + rename) in the private cursor dir: dir 0700, file 0600. */
export function saveAccountingCursor(stateDir: string, host: string, cursor: AccountingCursor): void {
  ensureCursorDir(stateDir);
  writeFileReplacing(cursorPath(stateDir, host), JSON.stringify(cursor));
}
