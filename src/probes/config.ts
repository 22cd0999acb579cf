import { script } from '../transport/quote.js';
import { effectiveSettings, parsePmtaConfig, resolveIncludes, type ConfigNode, type EffectiveSettings } from '../pmta/config.js';
import { looseValues, parseMarkers } from './sections.js';
import type { Probe, ProbeOutput, ProbeResult } from './types.js';

export interface ConfigFacts {
  file: string;
  files: string[];
  settings: EffectiveSettings;
  nodes: ConfigNode[];
  errors: Array<{ file: string; line: number; message: string }>;
}

/** Every file of the config (main + includes, listed by the preamble), verbatim. */
export const configProbe: Probe<ConfigFacts> = {
  name: 'config',
  command: script(`if [ -z "$MTAF_CFG_FILES" ]; then printf '@@mtafleet-missing PowerMTA config %s\\n' "$MTAF_CONFIG"; exit 0; fi
mtaf_i=0
for mtaf_f in $MTAF_CFG_FILES; do
  mtaf_i=$((mtaf_i + 1))
  printf 'path\\t%s\\t%s\\n' "$mtaf_i" "$mtaf_f"
  mtaf_sub "file$mtaf_i" cat "$mtaf_f"
done`),
  parse: parseConfigOutput,
};

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
  for (const line of looseValues(markers.loose).get('path') ?? []) {
    const [index, ...rest] = line.split('\t');
    const path = rest.join('\t');
    const sub = markers.subs.get(`file${index}`);
    if (!sub || sub.exitCode !== 0) continue;
    files.set(path, sub.text);
    order.push(path);
  }
  const main = order[0];
  if (main === undefined) return { status: 'unavailable', reason: 'PowerMTA config not readable' };
  const parsed = parsePmtaConfig(files.get(main) ?? '', main);
  const errors: ConfigFacts['errors'] = parsed.errors.map((e) => ({ ...e, file: main }));
  const expandFrom = (pattern: string, from: string): string[] => {
    const absolute = pattern.startsWith('/') ? pattern : `${from.replace(/\/[^/]*$/, '')}/${pattern}`;
    const re = globToRegExp(absolute);
    return order.filter((p) => re.test(p));
  };
  const resolved = resolveIncludes(parsed.nodes, files, expandFrom, errors).nodes;
  const settings = effectiveSettings(resolved);
  const warnings = [...settings.warnings, ...errors.map((e) => `${e.file}:${e.line}: ${e.message}`)];
  return { status: 'ok', facts: { file: main, files: order, settings, nodes: resolved, errors }, warnings };
}
