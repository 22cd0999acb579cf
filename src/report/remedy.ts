/**
 * The command line an operator runs to apply a finding's remedy, as the report prints it:
 * `mtafleet run playbooks/X.yaml -i INV --limit host -e k=v`. Every word is shell-quoted
 * with the transport's one quoting function, so pasting it is safe whatever the values.
 */
import { quote } from '../transport/quote.js';
import type { Finding } from '../audit/types.js';

export const INVENTORY_PLACEHOLDER = 'INVENTORY';

/** A remedy names a shipped playbook; anything else is advice to show as text. */
export function isPlaybook(remedy: string | null): remedy is string {
  return remedy !== null && /\.ya?ml$/i.test(remedy.trim());
}

export function remedyCommand(finding: Finding, host: string, inventoryFile?: string): string | null {
  if (!isPlaybook(finding.remedy)) return null;
  const words = ['mtafleet', 'run', finding.remedy.trim(), '-i', inventoryFile ?? INVENTORY_PLACEHOLDER, '--limit', host];
  for (const [k, v] of Object.entries(finding.remedyVars ?? {})) words.push('-e', `${k}=${v}`);
  // quote() refuses NUL (no process can take it); a host-supplied value could carry one.
  return words.map((w) => quote(w.replace(/\0/g, ''))).join(' ');
}
