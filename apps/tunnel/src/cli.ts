#!/usr/bin/env node
// The mpx-tunnel executable: holds V8's young generation at its initial size
// (young-generation.ts) before the rest of the program is loaded, then runs
// the command line (command-line.ts), which lets it grow to a cap once the
// command runs. The hold must come first and the program by a dynamic import: an ES
// module graph is parsed and compiled as a whole before any of it runs, and
// that is what grew the heap.
import { holdYoungGeneration } from './young-generation.js';

holdYoungGeneration();
const { main } = await import('./command-line.js');
await main();
