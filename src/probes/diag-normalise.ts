/**
 * The dsnDiag grouping key, applied by the runner to the first 100 bytes of each dsnDiag
 * group the host's awk reports (normalising there cost ~25 % of the scan). The reply code and enhanced status at the start are kept; after them URLs,
 * e-mail addresses, IPv4/IPv6 addresses, numbers and long tokens holding digits (queue ids,
 * server names) become placeholders, so one ISP error is one group whatever IP, recipient or
 * id it names, while the short codes that name the error (S3150, TSS04) stay.
 *
 * The text is handled as latin1 (one char per byte), so the classes are ASCII and the 60-byte
 * cut is a byte cut, as the awk's (LC_ALL=C) was.
 */

const PREFIX = /^([A-Za-z]+;)?[ ]*[2-5][0-9][0-9]([ -][2-5]\.[0-9]+\.[0-9]+)?[ -]?/;

const clean = (s: string): string => s.replace(/[\t\r\n\x1c]/g, ' ');

// Plain ASCII text is its own latin1 form (no conversion needed either way).
const ASCII = /^[\x00-\x7f]*$/;

/** Normalised bytes (as latin1) of the text. */
function normaliseBytes(text: string): string {
  const s = ASCII.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
  const m = PREFIX.exec(s);
  const pre = m ? m[0] : '';
  let r = s.slice(pre.length);
  // Each replacement only where its mark is in the text (the scans cost more than the checks).
  if (r.includes('://')) r = r.replace(/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^ ]*/g, '<url>');
  if (r.includes('@')) r = r.replace(/<[^<> ]+@[^<> ]+>/g, '<addr>').replace(/[^\] <>()[",;:]+@[^\] <>()[",;:]+/g, '<addr>');
  if (r.includes('.')) r = r.replace(/[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/g, '<ip>');
  if (r.includes(':')) r = r.replace(/[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*[0-9A-Fa-f]/g, '<ip>');
  // Words (runs of non-spaces) holding a digit: a number, or a long id.
  const out = r.replace(/[^ ]*[0-9][^ ]*/g, (w) => {
    if (/^[^A-Za-z0-9]*[0-9][0-9.,:]*[^A-Za-z0-9]*$/.test(w)) return w.replace(/[0-9][0-9.,:]*/g, '<n>');
    const id = /[-A-Za-z0-9._/+=]+/.exec(w);
    if (id && id[0].length >= 8 && /[0-9]/.test(id[0])) return w.slice(0, id.index) + '<id>' + w.slice(id.index + id[0].length);
    return w;
  });
  return clean(pre + out);
}

const fromBytes = (latin1: string): string => (ASCII.test(latin1) ? latin1 : Buffer.from(latin1, 'latin1').toString('utf8').replace(/\uFFFD+$/u, ''));

/** The normalised text, without the 60-byte cut. */
export function normaliseDiag(text: string): string {
  return fromBytes(normaliseBytes(text));
}

/** The pattern as the accounting facts carry it: normalised, then its first 60 bytes (a cut character dropped). */
export function diagPattern(text: string): string {
  return fromBytes(normaliseBytes(text).slice(0, 60));
}
