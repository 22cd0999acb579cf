/**
 * The probe batch is sent to every host on every audit: comment lines of its constant shell
 * and awk text are for readers of this source, not for the host, and dropping them cuts the
 * batch by about a third. Only whole lines whose first non-blank character is `#` go (not
 * `#!`): in sh and awk these are comments, as long as the text holds no multi-line string or
 * here-document with such a line — true of every constant it is used on (checked by
 * test/unit/probes/batch.test.ts, which runs the whole batch under dash and bash).
 */
export function withoutCommentLines(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s*#(?!!)/.test(line))
    .join('\n');
}
