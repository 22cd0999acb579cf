/**
 * Credentials in a database URL (user, password, a password= parameter) are never printed or
 * stored: every message about the store goes through redactText with the URL it concerns.
 */
const SECRET_PARAMS = ['password', 'user', 'sslpassword', 'passfile'];

/** The URL with its user, password and secret parameters as `***`; unparsable text becomes `(database URL)`. */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '(database URL)';
  }
  if (u.username !== '') u.username = '***';
  if (u.password !== '') u.password = '***';
  for (const key of SECRET_PARAMS) if (u.searchParams.has(key)) u.searchParams.set(key, '***');
  return u.toString().replace(/%2A%2A%2A/g, '***');
}

/** The secrets of a URL, raw and decoded (what a driver may echo in an error). */
export function urlSecrets(url: string): string[] {
  const out = new Set<string>();
  try {
    const u = new URL(url);
    for (const v of [u.username, u.password, ...SECRET_PARAMS.map((k) => u.searchParams.get(k) ?? '')]) {
      if (v === '') continue;
      out.add(v);
      try {
        out.add(decodeURIComponent(v));
      } catch {
        // not percent-encoded: the raw value is enough
      }
    }
  } catch {
    // an unparsable URL: drop it whole below
  }
  return [...out].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

/** `text` with the URL and each of its secrets replaced. */
export function redactText(text: string, url: string | undefined): string {
  if (url === undefined || url === '') return text;
  let out = text.split(url).join(redactUrl(url));
  for (const secret of urlSecrets(url)) out = out.split(secret).join('***');
  return out;
}
