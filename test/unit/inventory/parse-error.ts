import { expect } from 'vitest';
import { parseInventory } from '../../../src/inventory/index.js';
import { InventoryError } from '../../../src/util/errors.js';

/** The InventoryError message an inventory text gets (fails the test if it parses). */
export function parseError(text: string, file: string): string {
  try {
    parseInventory(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(InventoryError);
    return (err as Error).message;
  }
  throw new Error('expected an InventoryError');
}
