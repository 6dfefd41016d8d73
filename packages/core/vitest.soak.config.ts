// `pnpm test:soak` (`--tags-filter=soak` with this config): only the tests
// tagged `soak` (see vitest.config.ts), the run that MPX_SOAK_SCALE lengthens
// (the bench's soak scenario). Vitest imports a file to learn its tags, so the
// files holding them are listed here: a tag filter alone imports all of core's
// tests to skip them (about 10 s on two cores) and lists every skipped file.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/soak.test.ts', 'test/fuzz.*.test.ts'],
  },
});
