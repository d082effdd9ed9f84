import { randomBytes, randomUUID } from 'node:crypto';

export function newId(): string {
  return randomUUID();
}

let lastMs = 0;
let counter = 0;

/**
 * A UUID (version 7 layout) whose order follows creation order within this process, so rows
 * created in the same millisecond still page newest-first in the order they were written.
 */
export function newOrderedId(nowMs: number = Date.now()): string {
  if (nowMs <= lastMs) {
    counter += 1;
    if (counter > 0xfff) {
      lastMs += 1;
      counter = 0;
    }
  } else {
    lastMs = nowMs;
    counter = 0;
  }
  const time = lastMs.toString(16).padStart(12, '0').slice(-12);
  const rand = randomBytes(8);
  rand[0] = ((rand[0] ?? 0) & 0x3f) | 0x80;
  const tail = rand.toString('hex');
  const seq = (0x7000 | counter).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-${seq}-${tail.slice(0, 4)}-${tail.slice(4, 16)}`;
}
