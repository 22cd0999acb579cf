import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-state-dir.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration tests share the machine's namespaces and loop devices: run files one by one.
    fileParallelism: false,
    reporters: ['default'],
  },
});
