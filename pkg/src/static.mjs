// A small static file server (the playground; the browser tests).

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/**
 * Serves the files under `root`; `/` redirects to `home`, a folder URL serves its index.html.
 * `cacheControl` is every answer's Cache-Control (the benchmarks' warm cache wants `max-age`).
 * @param {string} root
 * @param {{home?: string, cacheControl?: string}} [options]
 */
export function staticHandler(root, { home = '/', cacheControl = 'no-cache' } = {}) {
  const top = resolve(root);
  return async (req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    if (pathname === '/' && home !== '/') {
      res.writeHead(302, { Location: home }).end();
      return;
    }
    let file = resolve(join(top, safeDecode(pathname)));
    if (pathname.endsWith('/')) file = join(file, 'index.html');
    const info = file.startsWith(top + sep) ? await stat(file).catch(() => null) : null;
    if (!info?.isFile() || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'Cache-Control': cacheControl,
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  };
}

function safeDecode(path) {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
