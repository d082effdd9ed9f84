import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * For tests of a full disk: writes to `path` until its file system refuses, 1 MiB at a time,
 * then 4 KiB, then single bytes, so that not one byte is left. Deleting the file gives the room back.
 */
export function fillFileSystem(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [1024 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size, 0x61);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}
