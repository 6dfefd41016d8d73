import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Tests tagged `soak` (the soak and fuzz runs, lengthened by MPX_SOAK_SCALE) run
    // in `pnpm test` at their CI size and alone with `pnpm test:soak` (the bench's soak).
    tags: [{ name: 'soak', description: 'soak and fuzz runs that MPX_SOAK_SCALE lengthens' }],
  },
});
