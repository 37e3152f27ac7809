import { posix } from 'node:path';
import { RegistryError } from '../errors.js';

/**
 * The two tar jobs compat images need, written here rather than with the `tar` package: writing
 * one file with every header field fixed (so an unchanged module yields the same layer digest
 * and a re-push uploads nothing), and reading entries from memory with each path checked
 * before anything is used. Both are small; see docs/decisions.md.
 */

const block = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** One regular file (mode 0644, uid/gid 0, mtime 0) plus the end-of-archive marker. */
export function tarSingleFile(name: string, data: Uint8Array): Uint8Array {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name "${name}" is longer than 100 bytes`);
  const header = Buffer.alloc(block);
  header.write(name, 0, 'utf8');
  header.write(octal(0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(data.byteLength, 12), 124, 'ascii');
  header.write(octal(0, 12), 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of header) sum += b;
  header.write(octal(sum, 7) + ' ', 148, 'ascii');
  const padded = Math.ceil(data.byteLength / block) * block;
  const out = new Uint8Array(block + padded + 2 * block);
  out.set(header, 0);
  out.set(data, block);
  return out;
}

export interface TarEntry {
  /** Normalized relative path. */
  path: string;
  /** '0' regular file, '5' directory, '2' symlink, '1' hard link, ... */
  type: string;
  data: Uint8Array;
}

function str(buf: Uint8Array, start: number, len: number): string {
  const slice = buf.subarray(start, start + len);
  const nul = slice.indexOf(0);
  return Buffer.from(nul >= 0 ? slice.subarray(0, nul) : slice).toString('utf8');
}

function parseSize(buf: Uint8Array, start: number, what: string): number {
  // Base-256 sizes (high bit set) only appear for entries over 8 GiB: refuse them outright.
  if (buf[start]! & 0x80)
    throw new RegistryError('invalid-input', `${what}: a tar entry declares a size over 8 GiB; refused`);
  const text = str(buf, start, 12).trim();
  const n = text ? parseInt(text, 8) : 0;
  if (!Number.isFinite(n) || n < 0)
    throw new RegistryError('invalid-input', `${what}: a tar header has an unreadable size "${text}"`);
  return n;
}

/** A path that is absolute or climbs out with `..` would land outside the extraction target. */
export function safeEntryPath(raw: string, what: string): string {
  const cleaned = raw.replace(/\\/g, '/');
  const norm = posix.normalize(cleaned);
  if (cleaned.startsWith('/') || /^[A-Za-z]:/.test(cleaned) || norm === '..' || norm.startsWith('../')) {
    throw new RegistryError(
      'invalid-input',
      `${what}: tar entry "${raw}" escapes the extraction directory; the layer is refused`,
    );
  }
  return norm.replace(/^\.\//, '');
}

/** Reads every entry of an uncompressed tar held in memory; refuses path escapes and truncation. */
export function readTar(buf: Uint8Array, what: string, maxEntries = 10_000): TarEntry[] {
  const entries: TarEntry[] = [];
  let pos = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (pos + block <= buf.byteLength) {
    const h = buf.subarray(pos, pos + block);
    if (h.every((b) => b === 0)) break;
    const size = parseSize(h, 124, what);
    const type = String.fromCharCode(h[156]! || 0x30);
    const dataStart = pos + block;
    if (dataStart + size > buf.byteLength)
      throw new RegistryError('invalid-input', `${what}: the tar archive is truncated (an entry runs past the end)`);
    const data = buf.subarray(dataStart, dataStart + size);
    pos = dataStart + Math.ceil(size / block) * block;
    if (type === 'L') {
      longName = str(data, 0, data.byteLength);
      continue;
    }
    if (type === 'x') {
      paxPath = paxRecords(data).path ?? paxPath;
      continue;
    }
    if (type === 'g') continue;
    const magic = str(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? str(h, 345, 155) : '';
    const raw = paxPath ?? longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
    longName = paxPath = undefined;
    entries.push({ path: safeEntryPath(raw, what), type, data });
    if (entries.length > maxEntries)
      throw new RegistryError('invalid-input', `${what}: the tar archive has more than ${maxEntries} entries; refused`);
  }
  return entries;
}

/** PAX records are `<byte length> key=value\n`; lengths count bytes, so walk bytes, not characters. */
function paxRecords(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let i = 0;
  while (i < buf.byteLength) {
    const sp = buf.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(buf.toString('ascii', i, sp), 10);
    if (!(len > 0) || i + len > buf.byteLength) break;
    const rec = buf.toString('utf8', sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}
