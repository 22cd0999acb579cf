import { stringify } from 'yaml';
import { HOST_MOUNT_DIR } from './paths.js';

/** The lab's Ansible YAML inventory and known_hosts. Pure renderers. */

export interface InventoryHostInput {
  name: string;
  address: string;
  scenario: string;
  nvmeDevice?: string;
  usedDevice?: string;
  spoolDevice?: string;
}

export function scenarioGroup(scenario: string): string {
  return `scenario_${scenario.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

export function renderInventory(opts: { labName: string; keyFile: string; knownHostsFile: string; hosts: InventoryHostInput[] }): string {
  const hosts: Record<string, Record<string, unknown>> = {};
  const groups: Record<string, { hosts: Record<string, null> }> = {};
  for (const h of opts.hosts) {
    const vars: Record<string, unknown> = {
      ansible_host: h.address,
      ansible_user: 'root',
      ansible_ssh_private_key_file: opts.keyFile,
      mtafleet_known_hosts: opts.knownHostsFile,
      lab_scenario: h.scenario,
      lab_mount_dir: HOST_MOUNT_DIR,
    };
    if (h.nvmeDevice) vars.lab_nvme_device = h.nvmeDevice;
    if (h.usedDevice) vars.lab_used_device = h.usedDevice;
    if (h.spoolDevice) vars.lab_spool_device = h.spoolDevice;
    hosts[h.name] = vars;
    const g = scenarioGroup(h.scenario);
    (groups[g] ??= { hosts: {} }).hosts[h.name] = null;
  }
  const doc = { all: { children: { mta: { hosts }, ...groups } } };
  return `# Written by mtafleet lab up (lab "${opts.labName}"). Use it as: mtafleet audit -i THIS_FILE\n${stringify(doc, { nullStr: '' })}`;
}

/** One line per host key: "<address>,<name> <type> <base64>". */
export function renderKnownHosts(hosts: Array<{ name: string; address: string; publicKeys: string[] }>): string {
  const lines: string[] = [];
  for (const h of hosts) {
    for (const pub of h.publicKeys) {
      const [type, key] = pub.trim().split(/\s+/);
      if (type && key) lines.push(`${h.address},${h.name} ${type} ${key}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** ssh_config so a person can type `ssh -F <lab>/ssh_config mta01`. */
export function renderSshConfig(opts: { keyFile: string; knownHostsFile: string; hosts: Array<{ name: string; address: string }> }): string {
  return opts.hosts
    .map((h) => [`Host ${h.name}`, `  HostName ${h.address}`, '  User root', `  IdentityFile ${opts.keyFile}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${opts.knownHostsFile}`, '  StrictHostKeyChecking yes', ''].join('\n'))
    .join('\n');
}
