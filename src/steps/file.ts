/**
 * `file`: a whole file (`content`), one line of it (`line` + optional `regexp`, like Ansible's
 * lineinfile), its owner/group/mode, or its absence (`state: absent`).
 * observe reads the bytes and stat; plan is pure and renders the whole new file in memory.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { argv, sh } from '../transport/quote.js';
import type { HostConnection } from '../transport/types.js';
import { execAction, fileDiff, removeFileAction, restoreFileAction, writeFileAction } from './actions.js';
import { resource } from './resources.js';
import { UNKNOWN_FIELD, type Action, type Change, type Projection, type StepKind, type StepPlan } from './types.js';

export const remotePath = z
  .string()
  .min(1, 'must not be empty')
  .refine((p) => p.startsWith('/'), 'must be an absolute path (start with /)')
  .refine((p) => !/[\0\n\r]/.test(p), 'must not contain NUL or newline characters');

const account = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'must be a user or group name (letters, digits, _ . -)');

export const fileParams = z
  .strictObject({
    path: remotePath,
    content: z.string().optional(),
    line: z.string().refine((l) => !/[\n\r]/.test(l), 'must be a single line (no newline)').optional(),
    regexp: z
      .string()
      .refine((r) => {
        try {
          new RegExp(r);
          return true;
        } catch {
          return false;
        }
      }, 'must be a valid regular expression')
      .optional(),
    owner: account.optional(),
    group: account.optional(),
    mode: z.string().regex(/^0?[0-7]{3,4}$/, 'must be an octal mode string such as "0644"').optional(),
    state: z.enum(['present', 'absent']).default('present'),
    become: z.boolean().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.content !== undefined && p.line !== undefined) ctx.addIssue({ code: 'custom', message: 'give either content or line, not both' });
    if (p.regexp !== undefined && p.line === undefined) ctx.addIssue({ code: 'custom', message: 'regexp needs line' });
  });

export type FileParams = z.infer<typeof fileParams>;

export interface ObservedFile {
  exists: boolean;
  sha256: string | null;
  /** Octal mode as stat prints it, e.g. "644". */
  mode: string | null;
  owner: string | null;
  group: string | null;
  /** UTF-8 text; null when absent or not valid UTF-8 (then contentBase64 holds the bytes). */
  content: string | null;
  contentBase64?: string;
}

export type FileState = Record<string, ObservedFile>;

export const fileKey = resource.file;

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Reads a file and its stat into the observation shape (shared with other steps). */
export async function observeFile(host: HostConnection, path: string, become?: boolean): Promise<ObservedFile> {
  const bytes = await host.readFile(path, { become });
  if (bytes === null) return { exists: false, sha256: null, mode: null, owner: null, group: null, content: null };
  const st = await host.exec(sh`LC_ALL=C stat -c '%a %U %G' -- ${path}`, { become });
  const [mode, owner, group] = st.exitCode === 0 ? st.stdout.trim().split(/\s+/) : [null, null, null];
  const text = bytes.toString('utf8');
  const roundTrips = Buffer.from(text, 'utf8').equals(bytes);
  const observed: ObservedFile = {
    exists: true,
    sha256: sha256(bytes),
    mode: mode ?? null,
    owner: owner ?? null,
    group: group ?? null,
    content: roundTrips ? text : null,
  };
  if (!roundTrips) observed.contentBase64 = bytes.toString('base64');
  return observed;
}

export function observedBytes(f: ObservedFile): Buffer | null {
  if (!f.exists) return null;
  if (f.content !== null) return Buffer.from(f.content, 'utf8');
  return Buffer.from(f.contentBase64 ?? '', 'base64');
}

/** Undo for a file write: the observed bytes with the observed mode/owner/group, or removal. */
export function restoreObserved(path: string, f: ObservedFile, become?: boolean): Action {
  const bytes = observedBytes(f);
  return restoreFileAction(path, bytes, {
    mode: f.mode !== null ? parseInt(f.mode, 8) : undefined,
    owner: f.owner ?? undefined,
    group: f.group ?? undefined,
    ...(become ? { become } : {}),
  });
}

/** lineinfile: replace the last line matching regexp, else keep an identical line, else append. */
export function renderLine(before: string, line: string, regexp?: string): string {
  const hadNewline = before.endsWith('\n');
  const lines = before === '' ? [] : (hadNewline ? before.slice(0, -1) : before).split('\n');
  if (regexp !== undefined) {
    const re = new RegExp(regexp);
    for (let i = lines.length - 1; i >= 0; i--) {
      if (re.test(lines[i])) {
        const copy = [...lines];
        copy[i] = line;
        return copy.join('\n') + (hadNewline || before === '' ? '\n' : '');
      }
    }
  }
  if (lines.includes(line)) return before;
  return [...lines, line].join('\n') + '\n';
}

function normMode(mode: string): string {
  return parseInt(mode, 8).toString(8);
}

function planFile(state: FileState, p: FileParams): StepPlan {
  const observed = state[fileKey(p.path)];
  if (!observed) return { kind: 'refused', reason: `no observation of ${p.path}` };
  const become = p.become ? { become: true } : {};
  const verifyAbsent = execAction(sh`test ! -e ${p.path}`, become);

  if (p.state === 'absent') {
    if (!observed.exists) return { kind: 'noop', reason: `${p.path} is already absent` };
    return {
      kind: 'changes',
      changes: [
        {
          summary: `remove ${p.path}`,
          label: 'exact',
          diff: fileDiff(p.path, observed.content ?? '(binary)', null),
          do: [removeFileAction(p.path, become)],
          undo: [restoreObserved(p.path, observed, p.become)],
          verify: [verifyAbsent],
        },
      ],
    };
  }

  const beforeText = observed.exists ? observed.content : '';
  let after: string | undefined;
  if (p.content !== undefined) after = p.content;
  else if (p.line !== undefined) {
    if (beforeText === null) return { kind: 'refused', reason: `${p.path} is not a text file; cannot edit one line of it` };
    after = renderLine(beforeText, p.line, p.regexp);
  }
  const changes: Change[] = [];
  const mode = p.mode !== undefined ? parseInt(p.mode, 8) : undefined;
  if (after !== undefined && (!observed.exists || sha256(after) !== observed.sha256)) {
    changes.push({
      summary: observed.exists ? `update ${p.path}` : `create ${p.path}`,
      label: 'exact',
      diff: fileDiff(p.path, observed.exists ? (observed.content ?? '(binary)') : null, after),
      do: [writeFileAction(p.path, after, { mode, owner: p.owner, group: p.group, ...become })],
      undo: [restoreObserved(p.path, observed, p.become)],
      verify: [execAction(sh`sha256sum -- ${p.path}`, { ...become, expectStdout: `^${sha256(after)}\\s` })],
    });
    return { kind: 'changes', changes };
  }
  if (!observed.exists) {
    return { kind: 'refused', reason: `${p.path} does not exist; give content or line to create it` };
  }
  // Content is right (or not managed): only attributes may differ.
  const attrDo: Action[] = [];
  const attrUndo: Action[] = [];
  const parts: string[] = [];
  if (p.mode !== undefined && observed.mode !== null && normMode(p.mode) !== normMode(observed.mode)) {
    attrDo.push(execAction(argv('chmod', p.mode, '--', p.path), become));
    attrUndo.push(execAction(argv('chmod', observed.mode, '--', p.path), become));
    parts.push(`mode ${observed.mode} -> ${p.mode}`);
  }
  if (p.owner !== undefined && p.owner !== observed.owner) {
    attrDo.push(execAction(argv('chown', p.owner, '--', p.path), become));
    if (observed.owner) attrUndo.push(execAction(argv('chown', observed.owner, '--', p.path), become));
    parts.push(`owner ${observed.owner} -> ${p.owner}`);
  }
  if (p.group !== undefined && p.group !== observed.group) {
    attrDo.push(execAction(argv('chgrp', p.group, '--', p.path), become));
    if (observed.group) attrUndo.push(execAction(argv('chgrp', observed.group, '--', p.path), become));
    parts.push(`group ${observed.group} -> ${p.group}`);
  }
  if (attrDo.length === 0) return { kind: 'noop', reason: `${p.path} already has the wanted content and attributes` };
  return {
    kind: 'changes',
    changes: [
      {
        summary: `${p.path}: ${parts.join(', ')}`,
        label: 'exact',
        diff: { type: 'text', text: parts.join('\n') },
        do: attrDo,
        undo: attrUndo.reverse(),
      },
    ],
  };
}

export const fileStep: StepKind<FileParams, FileState> = {
  kind: 'file',
  params: fileParams as unknown as z.ZodType<FileParams>,
  resources: (params) => [fileKey(params.path)],
  async observe(host, params, ctx) {
    return { [fileKey(params.path)]: await observeFile(host, params.path, params.become ?? (ctx.become || undefined)) };
  },
  plan: planFile,
  project: projectFile,
};

const ABSENT: ObservedFile = { exists: false, sha256: null, mode: null, owner: null, group: null, content: null };

/**
 * After the plan: the wanted bytes and attributes. A new file's mode is the given one, else
 * 644 (the atomic write's default); its owner and group, when not given, are the login's.
 */
export function projectFile(state: FileState, p: FileParams, plan: StepPlan): Projection {
  const observed = state[fileKey(p.path)];
  if (plan.kind !== 'changes' || !observed) return { state, unknown: [] };
  if (p.state === 'absent') return { state: { ...state, [fileKey(p.path)]: ABSENT }, unknown: [] };
  const write = plan.changes.find((c) => c.diff.type === 'file');
  const after = write && write.diff.type === 'file' ? write.diff.after : null;
  const next: ObservedFile = { ...observed };
  if (after !== null) {
    Object.assign(next, { exists: true, sha256: sha256(after), content: after });
    delete next.contentBase64;
    if (!observed.exists) Object.assign(next, { mode: '644', owner: UNKNOWN_FIELD, group: UNKNOWN_FIELD });
  }
  if (p.mode !== undefined) next.mode = normMode(p.mode);
  if (p.owner !== undefined) next.owner = p.owner;
  if (p.group !== undefined) next.group = p.group;
  return { state: { ...state, [fileKey(p.path)]: next }, unknown: [] };
}
