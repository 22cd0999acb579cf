/** `--format json`: the report as DESIGN.md's contract, one object, nothing else. */
import type { AuditReport } from '../audit/types.js';
import { safeJson } from '../util/sanitize.js';

export function renderJson(report: AuditReport): string {
  return [...renderJsonChunks(report)].join('');
}

/**
 * The same text as `JSON.stringify(report, null, 2)` plus a newline (C1 and bidi characters
 * written as \uHHHH escapes, see safeJson), one host per chunk:
 * written chunk by chunk, a 1000-host report (~30 MB of JSON) never exists as one string
 * (nor as its Buffer copy), which was half the audit's peak memory.
 */
export function* renderJsonChunks(report: AuditReport): Generator<string> {
  const entries = Object.entries(report).filter(([, value]) => jsonValue(value));
  if (entries.length === 0) {
    yield '{}\n';
    return;
  }
  let first = true;
  for (const [key, value] of entries) {
    yield `${first ? '{\n' : ',\n'}  ${safeJson(key)}: `;
    first = false;
    if (Array.isArray(value) && value.length > 0) {
      let i = 0;
      for (const item of value) {
        // Array members that JSON cannot hold print as null, as JSON.stringify does.
        const text = jsonValue(item) ? indented(safeJson(item, 2), '    ') : 'null';
        yield `${i++ === 0 ? '[\n' : ',\n'}    ${text}`;
      }
      yield '\n  ]';
    } else {
      yield indented(safeJson(value, 2), '  ');
    }
  }
  yield '\n}\n';
}

/** Re-indent nested JSON text: JSON strings hold no raw newline, so every \n is layout. */
function indented(json: string, prefix: string): string {
  return json.replace(/\n/g, `\n${prefix}`);
}

/** Values JSON.stringify omits from objects (undefined, functions, symbols). */
function jsonValue(value: unknown): boolean {
  return value !== undefined && typeof value !== 'function' && typeof value !== 'symbol';
}
