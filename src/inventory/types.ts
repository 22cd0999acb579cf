/** A resolved inventory: what every command works from after loading and validation. */
export interface InventoryHost {
  name: string;
  /** Merged variables: all < parent groups < child groups < host (Ansible precedence). */
  vars: Record<string, unknown>;
  /** Every group the host belongs to, directly or through children, including "all". */
  groups: string[];
}

export interface InventoryGroup {
  name: string;
  /** Hosts listed directly in this group. */
  hosts: string[];
  children: string[];
  vars: Record<string, unknown>;
}

export interface Inventory {
  /** Absolute path of the file (or directory) it was loaded from. */
  file: string;
  /** For an inventory directory: the inventory files read, in order (absolute paths). */
  sources?: string[];
  /** Hosts in file order. */
  hosts: Map<string, InventoryHost>;
  groups: Map<string, InventoryGroup>;
}
