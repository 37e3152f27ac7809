import { describe, expect, it } from 'vitest';
import { encodeImage, expandImage } from '../../builder/data-codec.js';
import { expandFunctionBody } from '../../builder/expand-function.js';
import { encodeSection, uleb } from '../../builder/wasm-binary.js';

// Round trips through the encoder and both decoders: the TypeScript one and the wasm start
// function, run in a module made by hand (one memory, the blob as its only data segment).

/** A deterministic generator, so a failing case can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
}
function randomBytes(length: number, seed: number): Uint8Array {
  const next = random(seed);
  return Uint8Array.from({ length }, () => Math.floor(next() * 256));
}
function utf16(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'utf16le'));
}
function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/**
 * An image built the way the encoder's choices are exercised: zero runs, text (UTF-16), raw
 * bytes, and copies of earlier bytes at random distances (odd and even, near and far) and
 * lengths (across the 32-byte token limit).
 */
function structured(length: number, seed: number): Uint8Array {
  const next = random(seed);
  const out: number[] = [];
  const words = ['token', 'header', ':authority', 'Grüße', '日本', '🎉', 'x-request-id', '\u0000\u0001'];
  while (out.length < length) {
    const pick = next();
    if (pick < 0.25) for (let n = Math.floor(next() * 80); n > 0; n--) out.push(0);
    else if (pick < 0.5) out.push(...utf16(words[Math.floor(next() * words.length)]!));
    else if (pick < 0.6) for (let n = 1 + Math.floor(next() * 40); n > 0; n--) out.push(Math.floor(next() * 256));
    else if (out.length > 0) {
      const from = Math.floor(next() * out.length);
      for (let n = 1 + Math.floor(next() * 70), i = from; n > 0; n--, i++) out.push(out[i]!);
    }
  }
  return Uint8Array.from(out.slice(0, length));
}

/** Linear memory after instantiating a module whose start function expands `blob` at `imageStart`. */
function expandInWasm(
  blob: Uint8Array,
  imageStart: number,
  imageLength: number,
): { memory: Uint8Array; blobStart: number } {
  const blobStart = Math.ceil((imageStart + imageLength) / 16) * 16;
  const pages = Math.ceil((blobStart + blob.length + 1) / 65536);
  const bytes = concat(
    Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00),
    encodeSection(1, Uint8Array.of(1, 0x60, 0, 0)),
    encodeSection(3, Uint8Array.of(1, 0)),
    encodeSection(5, Uint8Array.of(1, 0, ...uleb(pages))),
    encodeSection(7, Uint8Array.of(1, 3, ...Buffer.from('mem'), 2, 0)),
    encodeSection(8, Uint8Array.of(0)),
    encodeSection(10, concat(Uint8Array.of(1), expandFunctionBody({ imageStart, blobStart, blobLength: blob.length }))),
    encodeSection(11, concat(Uint8Array.of(1, 0, 0x41, ...signed(blobStart), 0x0b, ...uleb(blob.length)), blob)),
  );
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>));
  return { memory: new Uint8Array((instance.exports.mem as WebAssembly.Memory).buffer), blobStart };
}
function signed(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function roundTrip(image: Uint8Array, imageStart = 1024): Uint8Array {
  const blob = encodeImage(image);
  expect(Buffer.from(expandImage(blob, image.length)).equals(image)).toBe(true);
  const { memory, blobStart } = expandInWasm(blob, imageStart, image.length);
  const expected = new Uint8Array(memory.length);
  expected.set(image, imageStart);
  expect(blobStart).toBeGreaterThanOrEqual(imageStart + image.length);
  // The image where it belongs, and zeros everywhere else, the blob's bytes included.
  expect(Buffer.from(memory).equals(expected)).toBe(true);
  return blob;
}

describe('data codec', () => {
  it('round-trips UTF-16 text with object headers, and compresses it to under a third', () => {
    const parts: Uint8Array[] = [];
    for (const s of [
      '~lib/string.ts',
      'Invalid length',
      'authz: jwt rejected: ',
      'Grüße 日本 🎉',
      'authz: api key accepted',
    ]) {
      const header = new Uint8Array(20);
      header[12] = 2;
      header[16] = s.length * 2;
      const text = utf16(s);
      parts.push(header, text, new Uint8Array((16 - ((20 + text.length) % 16)) % 16));
    }
    const image = concat(...parts, ...parts);
    const blob = roundTrip(image);
    expect(blob.length).toBeLessThan(image.length / 3);
  });

  it('round-trips all zeros, one byte, and runs at the 32-byte token limits', () => {
    roundTrip(new Uint8Array(10_000));
    roundTrip(Uint8Array.of(7));
    roundTrip(Uint8Array.of(0));
    for (const n of [31, 32, 33, 63, 64, 65]) {
      roundTrip(concat(new Uint8Array(n), Uint8Array.of(1), new Uint8Array(n).fill(0xaa), utf16('x'.repeat(n))));
    }
  });

  it('round-trips incompressible bytes, growing them by at most one token per 32 bytes', () => {
    const image = randomBytes(20_000, 1);
    const blob = roundTrip(image);
    expect(blob.length).toBeLessThanOrEqual(image.length + Math.ceil(image.length / 32));
  });

  it('round-trips long repeats at distances 1, 2 and odd, overlapping the bytes they write', () => {
    roundTrip(new Uint8Array(50_000).fill(0xff));
    roundTrip(Uint8Array.from({ length: 40_000 }, (_, i) => (i % 2 ? 0x41 : 0x00)));
    roundTrip(Uint8Array.from({ length: 40_000 }, (_, i) => [1, 2, 3][i % 3]!));
  });

  it('does not reach back further than a far match can (65535 bytes)', () => {
    const repeated = randomBytes(3000, 2);
    const image = concat(repeated, randomBytes(70_000, 3), repeated, randomBytes(60_000, 4), repeated);
    const blob = roundTrip(image);
    // The second copy is out of reach of the first, the third within reach of the second.
    expect(blob.length).toBeLessThan(image.length + image.length / 32 - 2500);
  });

  it('round-trips structured images at odd start addresses and across blob sizes', () => {
    for (let seed = 10; seed < 30; seed++) {
      const length = 1 + Math.floor(random(seed)() * 12_000);
      roundTrip(structured(length, seed), 1024 + (seed % 7));
    }
  });
});
