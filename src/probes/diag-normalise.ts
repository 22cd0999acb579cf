/**
 * The dsnDiag grouping key, as the accounting awk's norm() computes it on the host (the two
 * must agree: test/unit/probes/diag-normalise.test.ts runs both on the Guide's and the
 * corpus's texts). The reply code and enhanced status at the start are kept; after them URLs,
 * e-mail addresses, IPv4/IPv6 addresses, numbers and long tokens holding digits (queue ids,
 * server names) become placeholders, so one ISP error is one group whatever IP, recipient or
 * id it names, while the short codes that name the error (S3150, TSS04) stay.
 */

const PREFIX = /^([A-Za-z]+;)?[ ]*[2-5][0-9][0-9]([ -][2-5]\.[0-9]+\.[0-9]+)?[ -]?/;

/** The whole normalised text (no length cut). */
export function normaliseDiag(text: string): string {
  const m = PREFIX.exec(text);
  const pre = m ? m[0] : '';
  let r = text.slice(pre.length);
  r = r
    .replace(/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^ ]*/g, '<url>')
    .replace(/<[^<> ]+@[^<> ]+>/g, '<addr>')
    .replace(/[^\] <>()[",;:]+@[^\] <>()[",;:]+/g, '<addr>')
    .replace(/[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/g, '<ip>')
    .replace(/[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*[0-9A-Fa-f]/g, '<ip>');
  // awk's split(r, W, " "): runs of blanks separate, leading and trailing ones are dropped.
  const words = r.split(/[ \t\n]+/).filter((w) => w !== '');
  const out = words.map((w) => {
    if (!/[0-9]/.test(w)) return w;
    if (/^[^A-Za-z0-9]*[0-9][0-9.,:]*[^A-Za-z0-9]*$/.test(w)) return w.replace(/[0-9][0-9.,:]*/g, '<n>');
    const id = /[-A-Za-z0-9._/+=]+/.exec(w);
    if (id && id[0].length >= 8 && /[0-9]/.test(id[0])) return w.slice(0, id.index) + '<id>' + w.slice(id.index + id[0].length);
    return w;
  });
  return (pre + out.join(' ')).replace(/[\t\r\n\x1c]/g, ' ');
}

/** The pattern as the accounting facts carry it: normalised, then its first 60 bytes (a cut character dropped). */
export function diagPattern(text: string): string {
  return Buffer.from(normaliseDiag(text), 'utf8').subarray(0, 60).toString('utf8').replace(/\uFFFD+$/u, '');
}
