import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ResolveError, type FetchOptions, type FetchedModule, type ModuleSource } from './module-source.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The largest http(s) module accepted: the registry client's own limit (Envoy Gateway's). */
export const defaultMaxModuleBytes = 256 << 20;

/** http(s):// modules: the checksum is the sha256 of the .wasm itself, so it needs the download. */
export class HttpModuleSource implements ModuleSource {
  readonly schemes = ['http', 'https'] as const;
  /**
   * `deadlineMs` bounds the whole download, body included (not just the wait for headers);
   * `maxBytes` bounds its size, so a server that streams without end cannot fill the memory.
   */
  constructor(
    private readonly deadlineMs = 30_000,
    private readonly maxBytes = defaultMaxModuleBytes,
  ) {}

  async fetch(url: string, opts: FetchOptions): Promise<FetchedModule> {
    const signal = opts.signal ?? AbortSignal.timeout(this.deadlineMs);
    const failed = (err: unknown) =>
      new ResolveError(
        signal.aborted
          ? `cannot fetch ${url}: not done within the ${this.deadlineMs / 1000} s fetch deadline; the server is stalled or too slow`
          : `cannot fetch ${url}: ${(err as Error).message}`,
        'remote',
      );
    let res: Response;
    try {
      res = await fetch(url, { signal });
    } catch (err) {
      throw failed(err);
    }
    if (res.status === 404) throw new ResolveError(`${url} answered 404; check the url in the manifest`, 'not-found');
    if (res.status === 401 || res.status === 403) throw new ResolveError(`${url} answered ${res.status}`, 'auth');
    if (!res.ok) throw new ResolveError(`${url} answered ${res.status}`, 'remote');
    const tooLarge = (what: string) =>
      new ResolveError(
        `${url} ${what}: the module size limit is ${this.maxBytes} bytes, and nothing was cached. ` +
          'Check the url, or build a smaller module',
        'invalid-input',
      );
    const declared = Number(res.headers.get('content-length') ?? Number.NaN);
    if (declared > this.maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw tooLarge(`declares ${declared} bytes (Content-Length)`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      // Counted as it arrives: a body without Content-Length stops at the limit, not at the end.
      for await (const chunk of (res.body ?? []) as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.length;
        if (size > this.maxBytes) {
          await res.body?.cancel().catch(() => {});
          throw tooLarge(`sent more than ${this.maxBytes} bytes`);
        }
        chunks.push(chunk);
      }
    } catch (err) {
      if (err instanceof ResolveError) throw err;
      throw failed(err);
    }
    const module = new Uint8Array(Buffer.concat(chunks));
    return { module, digest: sha256(module) };
  }
}

/** file:// modules, read from the control plane's own disk (handy for local development). */
export class FileModuleSource implements ModuleSource {
  readonly schemes = ['file'] as const;

  async fetch(url: string): Promise<FetchedModule> {
    try {
      const module = new Uint8Array(await readFile(fileURLToPath(url)));
      return { module, digest: sha256(module) };
    } catch (err) {
      throw new ResolveError(`cannot read ${url}: ${(err as Error).message}`, 'not-found');
    }
  }
}
