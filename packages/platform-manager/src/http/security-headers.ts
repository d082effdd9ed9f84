import type { FastifyInstance } from 'fastify';

/** The OpenAPI UI: its own scripts and styles (swagger-ui sets inline styles), images as data: URLs. */
const DOCS_POLICY =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
/** JSON answers load nothing and are never framed. */
const API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/**
 * Headers on every answer of a listener: HTTPS only from now on (HSTS), no content sniffing, no
 * framing (the console to come is framed by nobody), no referrer, and no caching of answers that
 * carry data (API answers; the UI's static files may be cached).
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const path = request.url.split('?')[0] ?? '';
    reply.header('strict-transport-security', 'max-age=31536000');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    const docs = path === '/api/docs' || path.startsWith('/api/docs/');
    reply.header('content-security-policy', docs ? DOCS_POLICY : API_POLICY);
    if (!path.startsWith('/api/docs/static/')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
