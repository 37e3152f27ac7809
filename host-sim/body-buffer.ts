/**
 * A body a filter holds, kept as the chunks that arrived: appending costs nothing, and the
 * chunks are joined once, when someone reads the whole body (a filter's proxy_get_buffer_bytes,
 * or forwarding it). Joining on every chunk made buffering quadratic (40 MB took 20-38 s).
 */
export class BodyBuffer {
  private chunks: Uint8Array[] = [];
  private joined: Uint8Array | undefined;
  /** Bytes held. */
  length = 0;

  constructor(first?: Uint8Array) {
    if (first) this.append(first);
  }

  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
    this.joined = undefined;
  }

  /** The whole body as one array (joined on first read after an append). */
  get bytes(): Uint8Array {
    if (this.joined) return this.joined;
    if (this.chunks.length === 1) this.joined = this.chunks[0]!;
    else {
      const out = new Uint8Array(this.length);
      let at = 0;
      for (const c of this.chunks) {
        out.set(c, at);
        at += c.length;
      }
      this.joined = out;
      this.chunks = this.length > 0 ? [out] : [];
    }
    return this.joined;
  }

  /** A filter replaced the body (proxy_set_buffer_bytes). */
  set bytes(b: Uint8Array) {
    this.chunks = b.length > 0 ? [b] : [];
    this.joined = b;
    this.length = b.length;
  }
}

/** Size of a body without joining its chunks. */
export function bodySize(body: { bytes: Uint8Array }): number {
  return body instanceof BodyBuffer ? body.length : body.bytes.length;
}
