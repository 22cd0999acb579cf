import { parsePlaybook } from '../../../src/playbook/load.js';
import { PlaybookError } from '../../../src/util/errors.js';

/** The PlaybookError message a playbook text gets at load (fails the test if it loads). */
export function problems(text: string): string {
  try {
    parsePlaybook('/pb.yaml', text);
  } catch (err) {
    if (err instanceof PlaybookError) return err.message;
    throw err;
  }
  throw new Error('expected a PlaybookError');
}
