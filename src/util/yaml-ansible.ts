import type { LineCounter, Tags } from 'yaml';

/**
 * YAML 1.1 as Ansible reads it (PyYAML: `yes`/`no`/`on`/`off` are booleans, `0644` is octal),
 * for inventories and playbooks alike, except that dates stay the text written (not Date objects).
 */
export function ansibleYamlOptions(lineCounter: LineCounter) {
  return {
    lineCounter,
    version: '1.1' as const,
    prettyErrors: false,
    customTags: (tags: Tags) => tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:timestamp'),
  };
}
