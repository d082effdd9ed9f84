// A small HTTP server for the traffic lab (plain node, no dependencies): GET /bytes/<n> sends n
// deterministic pseudo-random bytes with their sha256 in a header; POST /upload answers the
// sha256 and length of the body it received; GET /delay/<ms>/… answers "ok" after ms (at most
// 10 s: a response that comes well after the request); anything else answers 200 "ok". With `--log` as the
// third argument every request is printed as a JSON line first (tests that must show a request
// never reached the server).
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

const [host, port] = [process.argv[2] ?? '0.0.0.0', Number(process.argv[3] ?? 8080)];
const logRequests = process.argv[4] === '--log';

export function pseudoRandomBytes(n) {
  const out = Buffer.allocUnsafe(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const cache = new Map();
const server = createServer((req, res) => {
  if (logRequests) process.stdout.write(`${JSON.stringify({ request: req.url, host: req.headers.host ?? null })}\n`);
  const m = /^\/bytes\/([0-9]+)$/.exec(req.url ?? '');
  if (req.method === 'GET' && m) {
    const n = Math.min(Number(m[1]), 256 * 1024 * 1024);
    const body = cache.get(n) ?? pseudoRandomBytes(n);
    cache.set(n, body);
    res.writeHead(200, { 'content-length': n, 'x-sha256': createHash('sha256').update(body).digest('hex') });
    res.end(body);
    return;
  }
  const delay = /^\/delay\/([0-9]+)\//.exec(req.url ?? '');
  if (req.method === 'GET' && delay) {
    setTimeout(() => res.end('ok'), Math.min(Number(delay[1]), 10_000));
    return;
  }
  if (req.method === 'POST' && req.url === '/upload') {
    const hash = createHash('sha256');
    let length = 0;
    req.on('data', (c) => {
      hash.update(c);
      length += c.length;
    });
    req.on('end', () => res.end(JSON.stringify({ sha256: hash.digest('hex'), length })));
    return;
  }
  res.end('ok');
});
server.keepAliveTimeout = 1000;
server.listen(port, host, () => process.stdout.write(`${JSON.stringify({ listening: port })}\n`));
