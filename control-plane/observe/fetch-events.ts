import { EventEmitter } from 'node:events';
import type { Resolver } from '../resolver/resolver.js';

/** One module fetch as the resolver ran it: emitted as 'fetch' by observeFetches. */
export type FetchEvent =
  | { phase: 'started'; url: string; declared: string }
  | {
      phase: 'succeeded';
      url: string;
      digest: string;
      moduleSha256: string;
      durationMs: number;
      /** True when no module bytes crossed the network (cache, possibly after resolving a tag). */
      cacheHit: boolean;
      bytes: number;
    }
  | { phase: 'failed'; url: string; declared: string; durationMs: number; error: string; kind: string };

const observed = new WeakMap<Resolver, EventEmitter>();

/**
 * Decorates one Resolver instance so every resolve() reports started / succeeded / failed. Done
 * from outside the resolver so logs and metrics stay out of its code (and out of the way of
 * those who change it); calling it twice on the same resolver returns the same emitter.
 */
export function observeFetches(resolver: Resolver): EventEmitter {
  const known = observed.get(resolver);
  if (known) return known;
  const events = new EventEmitter();
  observed.set(resolver, events);
  const resolve = resolver.resolve.bind(resolver);
  resolver.resolve = async (req) => {
    const started = performance.now();
    events.emit('fetch', { phase: 'started', url: req.url, declared: req.sha256 } satisfies FetchEvent);
    try {
      const r = await resolve(req);
      events.emit('fetch', {
        phase: 'succeeded',
        url: req.url,
        digest: r.checksum,
        moduleSha256: r.moduleSha256,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        cacheHit: r.via !== 'fetch',
        bytes: r.module.length,
      } satisfies FetchEvent);
      return r;
    } catch (err) {
      events.emit('fetch', {
        phase: 'failed',
        url: req.url,
        declared: req.sha256,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        error: (err as Error).message,
        kind: String((err as { kind?: unknown }).kind ?? 'error'),
      } satisfies FetchEvent);
      throw err;
    }
  };
  return events;
}
