import type { Readable, Writable } from 'node:stream';

const MAX_PASSWORD_BYTES = 1024;

/**
 * A password from stdin: typed without echo on a terminal, else the first line of piped input.
 * Never from the command line, where `ps` and shell history would keep it.
 */
export async function readPassword(
  stdin: Readable & { isTTY?: boolean },
  stderr: Writable,
  prompt: string,
): Promise<string> {
  if (stdin.isTTY === true && 'setRawMode' in stdin) return readHidden(stdin as Readable & RawMode, stderr, prompt);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(buffer);
    size += buffer.length;
    if (size > MAX_PASSWORD_BYTES || buffer.includes(0x0a)) break;
  }
  return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '').slice(0, MAX_PASSWORD_BYTES);
}

interface RawMode {
  setRawMode(mode: boolean): void;
}

function readHidden(stdin: Readable & RawMode, stderr: Writable, prompt: string): Promise<string> {
  stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve) => {
    let typed = '';
    const finish = (value: string) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write('\n');
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish(typed);
        if (char === '\u0003' || char === '\u0004') return finish('');
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else if (typed.length < MAX_PASSWORD_BYTES) typed += char;
      }
    };
    stdin.on('data', onData);
  });
}
