// ESLint for the whole workspace: typed rules from typescript-eslint over every
// package's src/ and test/ (each package's tsconfig.json, found by the project
// service), plus the floors the architecture promises: @mpx/core does no I/O
// and reads time only from its injected Clock (README "Using @mpx/core",
// packages/core/SPEC.md). Formatting is Prettier's job (`.prettierrc.json`).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Node modules that do I/O or run timers: the core is handed Duplex carriers and a Clock instead. */
const IO_MODULES = [
  'net',
  'tls',
  'dgram',
  'dns',
  'dns/promises',
  'http',
  'https',
  'http2',
  'fs',
  'fs/promises',
  'child_process',
  'cluster',
  'worker_threads',
  'timers',
  'timers/promises',
].flatMap((name) => [name, `node:${name}`]);

// A type import does no I/O (transport.ts names `Socket` in its contract). `isIP` is a pure string check
// (target-header.ts validates a target's address with it), so it is the one value the core may take from `net`.
const ioImports = IO_MODULES.map((name) => ({
  name,
  allowTypeImports: true,
  ...(name === 'net' || name === 'node:net' ? { allowImportNames: ['isIP'] } : {}),
  message: '@mpx/core does no I/O: carriers arrive as Duplex streams, time comes from the injected Clock.',
}));

/** Packages above the core: an import from them would run back up the floors (apps → transports → core). */
const upperFloors = (names) => names.map((name) => ({ name, message: 'Imports run down the floors only: apps → transports → core.' }));

/** What no file of @mpx/core may import. */
const coreImportBans = [...ioImports, ...upperFloors(['@mpx/transport-tcp', '@mpx/transport-ws', '@mpx/testkit', 'mpx-tunnel', 'ws'])];

const clockMessage = 'Read time and set timers through the injected Clock (src/clock.ts), so tests can drive it.';

export default defineConfig(
  {
    ignores: ['**/dist/**', 'apps/tunnel/build/**', '**/node_modules/**', '**/.turbo/**', '**/coverage/**', 'packages/bench/results/**'],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      // Passing on what a `catch` caught (typed `unknown`) is forwarding an error, not inventing a non-Error reason.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // One private-field style: ECMAScript `#x`, not TypeScript's `private x` (constructors excepted).
      'no-restricted-syntax': [
        'error',
        {
          selector: ':matches(PropertyDefinition, MethodDefinition[kind!="constructor"], TSParameterProperty)[accessibility="private"]',
          message: 'Use an ECMAScript private name (#x) instead of the TypeScript `private` modifier.',
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Files outside every tsconfig's `include` (build and test configs, plain .mjs scripts): untyped rules only.
    files: ['**/*.js', '**/*.mjs', '**/vitest*.config.ts'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  {
    // Tests take events from Node's untyped `once()` (a Promise<any[]>) and from the core's EventEmitters,
    // whose listeners get `any` arguments: the no-unsafe-* rules would flag each such use. Until the emitters
    // declare their event maps, tests are exempt from those rules (src keeps them, and every other typed rule).
    files: ['**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Fakes that implement a Promise-returning interface (a dialler, a carrier factory) read best as async functions.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The whole core: no I/O modules, no packages from the floors above.
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: coreImportBans }],
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate'].map((name) => ({
          name,
          message: clockMessage,
        })),
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: clockMessage },
        { object: 'performance', property: 'now', message: clockMessage },
        { object: 'process', property: 'hrtime', message: clockMessage },
      ],
    },
  },
  {
    // The system clock is the one place where the core touches real time.
    files: ['packages/core/src/clock.ts'],
    rules: { 'no-restricted-globals': 'off', 'no-restricted-properties': 'off' },
  },
  {
    // The pure modules (codec, reorder buffer, flow control, scheduler, acks, liveness, ...) are plain data
    // and decisions: no streams, no event emitters. Only the edge files below wire them to Duplex carriers.
    files: ['packages/core/src/**/*.ts'],
    ignores: [
      'packages/core/src/carrier-link.ts',
      'packages/core/src/client-pool.ts',
      'packages/core/src/client.ts',
      'packages/core/src/server.ts',
      'packages/core/src/session.ts',
      'packages/core/src/stream.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...coreImportBans,
            ...['stream', 'node:stream', 'events', 'node:events'].map((name) => ({
              name,
              allowTypeImports: true,
              message: 'A pure core module holds state and decisions; the edge files (session, stream, carrier-link) do the streaming.',
            })),
          ],
        },
      ],
    },
  },
  {
    files: ['packages/transport-*/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: upperFloors(['mpx-tunnel', '@mpx/bench', '@mpx/netem']) }],
    },
  },
);
