import { describe, expect, it } from 'vitest';
import { homedir } from 'node:os';
import { defaultStateDir } from '../../../src/cli/common.js';

describe('test runs keep their state out of the user home', () => {
  it('the default state dir is the temporary one the global setup made', () => {
    expect(process.env.MTAFLEET_STATE_DIR).toMatch(/mtafleet-test-state-/);
    expect(defaultStateDir()).toBe(process.env.MTAFLEET_STATE_DIR);
    expect(defaultStateDir().startsWith(homedir())).toBe(false);
  });
});
