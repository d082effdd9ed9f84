export { ensurePrivateFile, fsyncDirectory, writeFileAtomic } from './atomic-file.js';
