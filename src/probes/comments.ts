/**
 * The probe batch travels in one SSH exec request on every audit of every host: comment lines
 * of its constant shell and awk text are for readers of this source, not for the host. Dropping
 * them keeps the request well under the 32 KiB packets small SSH servers accept (OpenSSH takes
 * 256 KiB; ssh2-based servers about 35,000 bytes). Only whole lines whose first non-blank
 * character is `#` go (not `#!`): in sh and awk these are comments, as long as the text holds
 * no multi-line string or here-document with such a line — true of every constant it is used
 * on (checked by test/unit/probes/batch.test.ts, which runs the whole batch under dash and bash).
 */
export function withoutCommentLines(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s*#(?!!)/.test(line))
    .join('\n');
}
