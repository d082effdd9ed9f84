import type { FastifyInstance } from 'fastify';
import { isConsolePath } from './console-assets.js';

/** The OpenAPI UI: its own scripts and styles (swagger-ui sets inline styles), images as data: URLs. */
const DOCS_POLICY =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
/**
 * The web console: its own scripts and styles only (no inline script or style element, no eval),
 * data from its own origin, images from itself or data: URLs (chart markers), no form posts
 * elsewhere, never framed.
 */
const CONSOLE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; form-action 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
/** JSON answers load nothing and are never framed. */
const API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/**
 * Headers on every answer of a listener: HTTPS only from now on (HSTS), no content sniffing, no
 * framing (the console is framed by nobody), no referrer, and no caching of answers that
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
    const consolePage = !docs && isConsolePath(path) && String(reply.getHeader('content-type')).startsWith('text/');
    reply.header('content-security-policy', docs ? DOCS_POLICY : consolePage ? CONSOLE_POLICY : API_POLICY);
    // The console's files under /assets/ are named by their content: cached for good. Its page is not.
    if (path.startsWith('/assets/') && reply.statusCode === 200)
      reply.header('cache-control', 'public, max-age=31536000, immutable');
    else if (!path.startsWith('/api/docs/static/')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
