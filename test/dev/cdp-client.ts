import { randomBytes } from 'node:crypto';
import * as net from 'node:net';

/**
 * A minimal Chrome DevTools Protocol client over WebSocket (RFC 6455: handshake, masked text
 * frames out, unmasked frames in), enough to drive V8's inspector as DevTools does. Node 20 has
 * no WebSocket client of its own, and this is a few lines.
 */
export class CdpClient {
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private pending = new Map<number, (r: { result?: unknown; error?: { message: string } }) => void>();
  private listeners: ((method: string, params: any) => void)[] = [];
  readonly events: { method: string; params: any }[] = [];

  private constructor(private socket: net.Socket) {}

  static connect(wsUrl: string): Promise<CdpClient> {
    const url = new URL(wsUrl);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(url.port), url.hostname, () => {
        socket.write(
          `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      socket.once('error', reject);
      let head = Buffer.alloc(0);
      const onHandshake = (d: Buffer) => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onHandshake);
        if (!head.subarray(0, end).toString().startsWith('HTTP/1.1 101')) {
          reject(new Error(`inspector refused the WebSocket upgrade: ${head.toString()}`));
          return;
        }
        const client = new CdpClient(socket);
        socket.on('data', (chunk: Buffer) => client.receive(chunk));
        client.receive(head.subarray(end + 4));
        resolve(client);
      };
      socket.on('data', onHandshake);
    });
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<any> {
    const id = this.nextId++;
    const payload = Buffer.from(JSON.stringify({ id, method, params }));
    const mask = randomBytes(4);
    const len = payload.length;
    const header =
      len < 126
        ? Buffer.from([0x81, 0x80 | len])
        : len < 65536
          ? Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff])
          : (() => {
              const h = Buffer.alloc(10);
              h[0] = 0x81;
              h[1] = 0x80 | 127;
              h.writeBigUInt64BE(BigInt(len), 2);
              return h;
            })();
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
    this.socket.write(Buffer.concat([header, mask, masked]));
    return new Promise((resolve, reject) =>
      this.pending.set(id, (r) => (r.error ? reject(new Error(`${method}: ${r.error.message}`)) : resolve(r.result))),
    );
  }

  /** The next event named `method` (already received ones first) that satisfies `test`. */
  next(method: string, test: (params: any) => boolean = () => true): Promise<any> {
    const i = this.events.findIndex((e) => e.method === method && test(e.params));
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]!.params);
    return new Promise((resolve) => {
      const l = (m: string, p: any) => {
        if (m !== method || !test(p)) return;
        this.listeners.splice(this.listeners.indexOf(l), 1);
        this.events.splice(
          this.events.findIndex((e) => e.params === p),
          1,
        );
        resolve(p);
      };
      this.listeners.push(l);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) return;
      let len = this.buffer[1]! & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (this.buffer.length < 4) return;
        len = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (this.buffer.length < 10) return;
        len = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.buffer.length < offset + len) return;
      const opcode = this.buffer[0]! & 0x0f;
      const payload = this.buffer.subarray(offset, offset + len).toString();
      this.buffer = this.buffer.subarray(offset + len);
      if (opcode !== 1) continue; // text frames only; V8 sends nothing else we need
      const msg = JSON.parse(payload) as { id?: number; method?: string; params?: unknown };
      if (msg.id !== undefined) this.pending.get(msg.id)?.(msg as never);
      else if (msg.method) {
        this.events.push({ method: msg.method, params: msg.params });
        for (const l of [...this.listeners]) l(msg.method, msg.params);
      }
    }
  }
}
