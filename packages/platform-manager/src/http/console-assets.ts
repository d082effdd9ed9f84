import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sendProblem } from './problem-types.js';

/** Where `npm run build` leaves the web console (packages/console/dist), relative to this file. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../../console/dist', import.meta.url));

/** Paths that belong to the API and other listeners' routes: never answered with the console page. */
const NOT_CONSOLE = ['/api/', '/agent-package/', '/metrics'];

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/** True for a path the console's own page answers (its client-side routes and files). */
export function isConsolePath(path: string): boolean {
  return !NOT_CONSOLE.some((prefix) => path === prefix.replace(/\/$/, '') || path.startsWith(prefix));
}

/** Every file of the built console, read once at start (a few hundred KiB), keyed by URL path. */
function readAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(join(dir, 'index.html'))) return assets;
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const type = TYPES[extname(name)];
        if (type !== undefined)
          assets.set(`/${relative(dir, path).split(sep).join('/')}`, { body: readFileSync(path), type });
      }
    }
  };
  walk(dir);
  return assets;
}

export interface ConsoleAssets {
  /** Answers a client-side route of the console with its page (or a problem when it is not built). */
  page(reply: FastifyReply): FastifyReply;
  /** Registers GET /assets/* (the files named by their content hash). */
  install(app: FastifyInstance): void;
}

/**
 * The web console on the console port: its files under /assets/ (names carry a content hash, so
 * they may be cached), and index.html for `/` and every other GET the API has no route for (the
 * console's own links, opened directly). The page comes from the not-found handler, so the API's
 * routing is exactly what it was (its 404s and 414s included). Public like the sign-in page of
 * any console: the files hold no data; everything the console shows comes from the API.
 */
export function loadConsoleAssets(dir: string): ConsoleAssets {
  const assets = readAssets(dir);
  const index = assets.get('/index.html');
  return {
    page(reply) {
      if (index === undefined) {
        return sendProblem(
          reply,
          'not-found',
          `the web console is not built (no ${join(dir, 'index.html')}); run npm run build`,
        );
      }
      return reply.code(200).type(index.type).send(index.body);
    },
    install(app) {
      app.get('/assets/*', { config: { role: 'none' }, schema: { hide: true } }, async (request, reply) => {
        const asset = assets.get(request.url.split('?')[0] ?? '');
        // A missing file is a 404, not the page (a stale tab asking for an old bundle).
        if (asset === undefined) return reply.callNotFound();
        return reply.type(asset.type).send(asset.body);
      });
    },
  };
}

/** True for a request the console's page answers when no route matched: a GET outside the API's prefixes and /assets/. */
export function wantsConsolePage(method: string, path: string): boolean {
  return (method === 'GET' || method === 'HEAD') && isConsolePath(path) && !path.startsWith('/assets/');
}
