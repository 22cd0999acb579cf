import { z } from 'zod';

/**
 * Zod building blocks shared by the remediation steps. Every value that later reaches a
 * remote shell passes one of these first (and is then quoted by transport/quote.ts), so the
 * patterns are deliberately narrow: no newlines, NUL, `..` segments or shell-looking names.
 */

const noControl = (s: string) => !/[\0\r\n]/.test(s);
const noDotDot = (s: string) => !s.split('/').includes('..');

/** net.ipv4.ip_local_port_range; slashes and `..` refused. */
export const sysctlName = z
  .string()
  .regex(/^[a-z0-9_]+(\.[a-z0-9_-]+)+$/, 'a sysctl name looks like net.ipv4.tcp_fin_timeout (lower case, dots)')
  .refine((s) => !s.includes('..') && !s.includes('/'), 'a sysctl name cannot contain ".." or "/"');

/** A one-line value: no newline, carriage return or NUL; surrounding blanks trimmed. */
export const lineValue = z
  .union([z.string(), z.number()])
  .transform((v) => String(v).trim())
  .refine(noControl, 'a value cannot contain a newline or NUL byte')
  .refine((s) => s.length > 0 && s.length <= 4096, 'a value must be 1..4096 characters');

/** An absolute path without `..`, NUL, newlines or shell-special characters. */
export const absolutePath = z
  .string()
  .regex(/^\/[A-Za-z0-9._@+:,=/-]*$/, 'an absolute path of letters, digits and ._@+:,=/- only')
  .refine(noDotDot, 'a path cannot contain ".." segments')
  .refine((s) => !s.includes('//'), 'a path cannot contain "//"');

/** A block device path: under /dev/ only. */
export const devicePath = absolutePath.refine(
  (s) => /^\/dev\/[A-Za-z0-9]/.test(s),
  'a device must be a path under /dev/ (e.g. /dev/nvme0n1 or /dev/disk/by-id/...)',
);

/** systemd unit / SysV service name, without the .service suffix. */
export const serviceName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9@._:-]*$/, 'a service name of letters, digits and @._:- (not starting with "-")')
  .max(200)
  .transform((s) => s.replace(/\.service$/, ''));

/** A PowerMTA directive name, e.g. max-smtp-out. */
export const directiveName = z.string().regex(/^[a-z][a-z0-9-]*$/, 'a directive name looks like max-smtp-out');

/** "domain gmail.com" / "spool /var/spool/pmta": a block type and its argument. */
export const blockSelector = z
  .string()
  .refine(noControl, 'a block cannot contain a newline or NUL byte')
  .transform((s) => s.trim().replace(/\s+/g, ' '))
  .refine((s) => /^[a-z][a-z0-9-]*( [^<>\0\r\n]+)$/.test(s), 'a block looks like "domain gmail.com" (no <, > or newlines)');

/** Splits "domain gmail.com" into its type and argument. */
export function parseBlockSelector(selector: string): { type: string; arg: string } {
  const space = selector.indexOf(' ');
  return { type: selector.slice(0, space).toLowerCase(), arg: selector.slice(space + 1).trim() };
}

/** Collapses runs of blanks, so "10240 65535" equals "10240\t65535". */
export function normaliseValue(value: string): string {
  return value.trim().split(/\s+/).join(' ');
}

/** A regular expression source matching `value` as a whole output line, blanks normalised. */
export function wholeOutputPattern(value: string): string {
  const words = normaliseValue(value).split(' ').map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return `^\\s*${words.join('\\s+')}\\s*$`;
}
