import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The end-to-end tests spawn the bin and some tests run build/ modules: build first.
    globalSetup: ['test/global-setup.ts'],
    // Each end-to-end test runs three processes pushing tens of MiB; running
    // files one at a time keeps them from starving each other on small machines.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
