// Worker entry in development and tests: a loader registered in the main thread is not inherited
// by worker threads, and a worker's first file is resolved before --import hooks run, so the
// worker registers tsx itself. The built binaries never load this file: scripts/build.mjs
// compiles hash-worker.ts into integrity-hash-worker.js beside each bundle and points the pool
// at it (scripts/build-entries.mjs, WORKERS).
import { register } from 'tsx/esm/api';

register();
await import('./hash-worker.ts');
