/** Ansible-compatible inventory: loading (YAML, INI), validation, --limit patterns, renderings. */
export { loadInventory, parseInventory, detectFormat, type InventoryFormat } from './load.js';
export { selectHosts } from './pattern.js';
export { inventoryToAnsibleList, inventoryGraph } from './render.js';
export { isSecretVar } from './schema.js';
export type { Inventory, InventoryGroup, InventoryHost } from './types.js';
export { inventoryBytes } from './inventory-dir.js';
