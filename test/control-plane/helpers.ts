import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';

/**
 * A real, minimal WebAssembly module: the 8-byte header plus a custom section named "meshwasm"
 * whose payload is `tag`, so two tags give two valid modules with different sha256.
 */
export function wasmModule(tag: string): Uint8Array {
  const name = Buffer.from('meshwasm');
  const payload = Buffer.from(tag);
  const body = Buffer.concat([Buffer.from([name.length]), name, payload]);
  if (body.length > 127) throw new Error('tag too long for this helper');
  return new Uint8Array(
    Buffer.concat([Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, body.length]), body]),
  );
}

export const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

/** A real HTTP server on 127.0.0.1 serving modules by path, counting requests per path. */
export async function startModuleServer(
  files: Record<string, Uint8Array>,
): Promise<{ url: string; hits: Map<string, number>; files: Record<string, Uint8Array>; close(): Promise<void> }> {
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const body = files[path];
    if (!body) res.writeHead(404).end('not found');
    else res.writeHead(200, { 'content-type': 'application/wasm' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hits,
    files,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `meshwasm-${prefix}-`));

export function writeManifest(dir: string, file: string, ...docs: object[]): void {
  writeFileSync(join(dir, file), docs.map((d) => YAML.stringify(d)).join('---\n'));
}

export function wasmPlugin(name: string, spec: Record<string, unknown>, namespace = 'default') {
  return { apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata: { name, namespace }, spec };
}

/** Polls until fn returns a truthy value (event-driven code still needs a bounded wait in tests). */
export async function eventually<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
