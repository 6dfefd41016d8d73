#!/usr/bin/env node
// The mpx-tunnel executable: keeps V8's young generation small
// (young-generation.ts) before the rest of the program is loaded, then runs
// the command line (command-line.ts). The setting must come first and the
// program by a dynamic import: an ES module graph is parsed and compiled as a
// whole before any of it runs, and that is what used to grow the heap.
import { keepYoungGenerationSmall } from './young-generation.js';

keepYoungGenerationSmall();
const { main } = await import('./command-line.js');
await main();
