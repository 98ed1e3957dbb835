import { basename } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Whether a built file's name carries a content hash (`main-3F2KQ7ZB.js`) or it lives under /assets/. */
export function isHashedAsset(path: string): boolean {
  return /[\\/]assets[\\/]/.test(path) || /[.-][A-Za-z0-9_]{8,}\.[a-z0-9]+$/.test(basename(path));
}

/**
 * Serve the built UI from `root`: hashed assets cached for a year, everything else (index.html)
 * revalidated on every load so a new build shows at once. The SPA fallback lives in the not-found handler.
 */
export async function staticFiles(app: FastifyInstance, opts: { root: string }): Promise<void> {
  await app.register(fastifyStatic, {
    root: opts.root,
    prefix: '/',
    cacheControl: false,
    etag: true,
    lastModified: true,
    setHeaders(reply, path) {
      reply.header('cache-control', isHashedAsset(path) ? IMMUTABLE : 'no-cache');
    },
  });
}
