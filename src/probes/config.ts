import { script } from '../transport/quote.js';
import { parsePmtaConfig, ParseBudget, resolveIncludes } from '../pmta/config.js';
import { effectiveSettings, type EffectiveSettings } from '../pmta/settings.js';
import { looseValues, parseMarkers } from './sections.js';
import type { Probe, ProbeOutput, ProbeResult } from './types.js';

export interface ConfigFacts {
  file: string;
  files: string[];
  settings: EffectiveSettings;
  errors: Array<{ file: string; line: number; message: string }>;
}

/**
 * Host config text is bounded (issue #13): each file is read up to CONFIG_FILE_MAX_BYTES on
 * the host (its size is printed, so a cut is reported), and parsing keeps at most
 * CONFIG_MAX_NODES nodes over all files, with lines up to CONFIG_MAX_LINE characters.
 * A large real config (10,000 domain blocks) is about 1 MB and 40,000 lines.
 */
export const CONFIG_FILE_MAX_BYTES = 2 * 1024 * 1024;
export const CONFIG_MAX_NODES = 50_000;
export const CONFIG_MAX_LINE = 4096;

/** Every file of the config (main + includes, listed by the preamble), verbatim up to the cap. */
export const configProbe: Probe<ConfigFacts> = {
  name: 'config',
  command: script(`if [ -z "$MTAF_CFG_FILES" ]; then printf '@@mtafleet-missing PowerMTA config %s\\n' "$MTAF_CONFIG"; exit 0; fi
mtaf_i=0
for mtaf_f in $MTAF_CFG_FILES; do
  mtaf_i=$((mtaf_i + 1))
  printf 'path\\t%s\\t%s\\n' "$mtaf_i" "$mtaf_f"
  printf 'size\\t%s\\t%s\\n' "$mtaf_i" "$(wc -c <"$mtaf_f" 2>/dev/null)"
  mtaf_sub "file$mtaf_i" head -c ${CONFIG_FILE_MAX_BYTES} "$mtaf_f"
done`),
  parse: parseConfigOutput,
};

/** Config errors listed as warnings (the rest are counted): a broken huge file is not a huge report. */
const MAX_WARNINGS = 100;

/** Glob (*, ?, [..]) to a RegExp over whole paths; '*' does not cross '/'. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[' || ch === ']') re += ch;
    else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function parseConfigOutput(output: ProbeOutput): ProbeResult<ConfigFacts> {
  const markers = parseMarkers(output.stdout);
  if (markers.missing.length > 0) return { status: 'unavailable', reason: `${markers.missing.join('; ')} not found` };
  const files = new Map<string, string>();
  const order: string[] = [];
  const loose = looseValues(markers.loose);
  const sizes = new Map((loose.get('size') ?? []).map((line) => line.split('\t') as [string, string]));
  const cut: string[] = [];
  for (const line of loose.get('path') ?? []) {
    const [index, ...rest] = line.split('\t');
    const path = rest.join('\t');
    const sub = markers.subs.get(`file${index}`);
    if (!sub || sub.exitCode !== 0) continue;
    files.set(path, sub.text);
    order.push(path);
    const size = Number(sizes.get(index!)?.trim());
    if (size > CONFIG_FILE_MAX_BYTES) cut.push(`${path} is ${size} bytes: only its first ${CONFIG_FILE_MAX_BYTES} were read`);
  }
  const main = order[0];
  if (main === undefined) return { status: 'unavailable', reason: 'PowerMTA config not readable' };
  const budget = new ParseBudget(CONFIG_MAX_NODES, CONFIG_MAX_LINE);
  const parsed = parsePmtaConfig(files.get(main) ?? '', main, budget);
  const errors: ConfigFacts['errors'] = parsed.errors.map((e) => ({ ...e, file: main }));
  const expandFrom = (pattern: string, from: string): string[] => {
    const absolute = pattern.startsWith('/') ? pattern : `${from.replace(/\/[^/]*$/, '')}/${pattern}`;
    const re = globToRegExp(absolute);
    return order.filter((p) => re.test(p));
  };
  const resolved = resolveIncludes(parsed.nodes, files, expandFrom, errors, new Set(), budget).nodes;
  const settings = effectiveSettings(resolved);
  const warnings = [...cut, ...settings.warnings, ...errors.slice(0, MAX_WARNINGS).map((e) => `${e.file}:${e.line}: ${e.message}`)];
  if (errors.length > MAX_WARNINGS) warnings.push(`${errors.length - MAX_WARNINGS} more config errors not listed`);
  return { status: 'ok', facts: { file: main, files: order, settings, errors: errors.slice(0, MAX_WARNINGS) }, warnings };
}
