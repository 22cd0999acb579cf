/**
 * The `!vault` YAML tag of inventories and group_vars/host_vars files: the tagged scalar becomes
 * a VaultedText (with its line), never a string, so ciphertext can never be used as a value.
 * revealVaultedVars (vault.ts) decrypts it into a Secret before validation.
 */
import { isScalar, visit, type Document, type LineCounter, type ScalarTag, type Tags } from 'yaml';
import { VaultedText } from './vault.js';

const vaultTag: ScalarTag = {
  tag: '!vault',
  identify: (value) => value instanceof VaultedText,
  resolve: (text: string) => new VaultedText(text),
};

/** YAML options with the decrypting `!vault` tag (instead of the one that refuses it elsewhere). */
export function withVaultTag<T extends { customTags?: (tags: Tags) => Tags }>(options: T): T {
  const base = options.customTags;
  const others = (tags: Tags) => (base ? base(tags) : tags).filter((t) => typeof t === 'string' || t.tag !== '!vault');
  return { ...options, customTags: (tags: Tags) => [...others(tags), vaultTag] };
}

/** Records on each VaultedText the line its value starts on (for messages). */
export function markVaultLines(doc: Document, lines: LineCounter): void {
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && node.value instanceof VaultedText && node.range) node.value.line = lines.linePos(node.range[0]).line;
    },
  });
}
