import type { LineCounter, ScalarTag, Tags } from 'yaml';

/**
 * `!vault` outside inventories (playbooks, vars_files, -e @file): refused with its line, never
 * read as the ciphertext string. Inventories replace this tag with one that decrypts
 * (src/inventory/vault-yaml.ts).
 */
const refusedVaultTag: ScalarTag = {
  tag: '!vault',
  resolve: (_text: string, onError: (message: string) => void) => {
    onError('an inline !vault value is not supported by mtafleet here: vaults are decrypted only in inventories and their group_vars/host_vars files (with --vault-password-file); put the variable there');
    return '';
  },
};

/**
 * YAML 1.1 as Ansible reads it (PyYAML: `yes`/`no`/`on`/`off` are booleans, `0644` is octal),
 * for inventories and playbooks alike, except that dates stay the text written (not Date objects).
 */
export function ansibleYamlOptions(lineCounter: LineCounter) {
  return {
    lineCounter,
    version: '1.1' as const,
    prettyErrors: false,
    customTags: (tags: Tags) => [...tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:timestamp'), refusedVaultTag],
  };
}
