// A module server that never stops sending (or declares a huge body) must not fill the memory of
// the control plane (http(s) module source) or of the proxy (its download of a module named by
// ECDS): both stop at their size limit, say so, and close the connection. Real HTTP on 127.0.0.1.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpModuleSource, Resolver } from '../../control-plane/index.js';
import { readAtMost } from '../../proxy/module-download.js';
import { sha256, tempDir, wasmModule } from '../control-plane/helpers.js';

describe('module downloads are bounded in size (real HTTP server that streams without end)', () => {
  let server: Server;
  let base = '';
  /** Bytes the server managed to write on its endless responses, and whether each ended. */
  const sent: { bytes: number; closed: boolean }[] = [];
  const small = wasmModule('small');
  const cacheDir = tempDir('bounded-downloads');

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/small.wasm') return res.end(small);
      if (req.url === '/declares-huge.wasm') {
        res.writeHead(200, { 'content-length': String(1 << 30) });
        res.write(Buffer.alloc(1024));
        return; // never finishes: only the declaration should matter
      }
      // Chunked, without Content-Length, forever.
      const record = { bytes: 0, closed: false };
      sent.push(record);
      const chunk = Buffer.alloc(16 * 1024, 1);
      const pump = () => {
        while (!record.closed && res.write(chunk)) record.bytes += chunk.length;
        if (!record.closed) res.once('drain', pump);
      };
      res.on('close', () => {
        record.closed = true;
      });
      res.writeHead(200, { 'content-type': 'application/wasm' });
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('control plane: an endless body is refused at the limit, the connection is closed, nothing is cached', async () => {
    const limit = 256 * 1024;
    const r = new Resolver([new HttpModuleSource(30_000, limit)], { dir: cacheDir });
    await expect(r.resolve({ url: `${base}/endless.wasm`, sha256: '', pullPolicy: 'Default' })).rejects.toMatchObject({
      kind: 'invalid-input',
      message: expect.stringContaining(`the module size limit is ${limit} bytes, and nothing was cached`),
    });
    await expect.poll(() => sent.at(-1)?.closed, { timeout: 5000 }).toBe(true);
    // The server could run ahead by its socket buffers, not by the whole stream.
    expect(sent.at(-1)!.bytes).toBeLessThan(limit + 8 * 1024 * 1024);
    expect(r.cache.list()).toEqual([]);
  });

  it('control plane: a declared Content-Length past the limit is refused before reading the body', async () => {
    const r = new Resolver([new HttpModuleSource(30_000, 1 << 20)], { dir: cacheDir });
    await expect(r.resolve({ url: `${base}/declares-huge.wasm`, sha256: '', pullPolicy: 'Default' })).rejects.toThrow(
      `declares ${1 << 30} bytes (Content-Length)`,
    );
  });

  it('control plane: a module under the limit is fetched as before', async () => {
    const r = new Resolver([new HttpModuleSource(30_000, 1 << 20)], { dir: cacheDir });
    const got = await r.resolve({ url: `${base}/small.wasm`, sha256: sha256(small), pullPolicy: 'Default' });
    expect(got.moduleSha256).toBe(sha256(small));
  });

  it('proxy: its module download stops at the limit, for an endless body and for a declared one', async () => {
    const before = sent.length;
    await expect(readAtMost(await fetch(`${base}/endless.wasm`), 100_000)).rejects.toThrow(
      "it sent more than 100000 bytes, over the proxy's module size limit of 100000 bytes",
    );
    await expect.poll(() => sent[before]?.closed, { timeout: 5000 }).toBe(true);
    await expect(readAtMost(await fetch(`${base}/declares-huge.wasm`), 100_000)).rejects.toThrow(
      `it declares ${1 << 30} bytes`,
    );
    expect(await readAtMost(await fetch(`${base}/small.wasm`), 100_000)).toEqual(new Uint8Array(small));
  });
});
