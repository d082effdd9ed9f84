// Worker entry: a loader registered in the main thread is not inherited by worker threads, and a
// worker's first file is resolved before --import hooks run, so the worker registers tsx itself.
import { register } from 'tsx/esm/api';

register();
await import('./hash-worker.ts');
