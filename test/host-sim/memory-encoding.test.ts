import { describe, expect, it } from 'vitest';
import { GuestMemory, encodePairs, type HeaderPairs } from '../../host-sim/abi/memory.js';

// The fast paths of GuestMemory (benchmark optimisations) must give exactly what the plain
// encoders give, for ASCII and for other text.
function guest(): { mem: GuestMemory; u8: () => Uint8Array } {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const mem = new GuestMemory(undefined);
  mem.attach(memory);
  let heap = 1024;
  mem.allocate = (n) => {
    const p = heap;
    heap += n;
    return p;
  };
  return { mem, u8: () => new Uint8Array(memory.buffer) };
}
const read = (g: ReturnType<typeof guest>) => {
  const dv = new DataView(g.u8().buffer);
  const ptr = dv.getUint32(0, true),
    size = dv.getUint32(4, true);
  return g.u8().slice(ptr, ptr + size);
};
const put = (g: ReturnType<typeof guest>, at: number, s: string) => {
  const b = Buffer.from(s);
  g.u8().set(b, at);
  return b.length;
};

describe('GuestMemory encodings', () => {
  const cases: HeaderPairs[] = [
    [
      [':method', 'GET'],
      [':path', '/a?b=c'],
      ['x-long-header-name-over-twelve', 'value'],
    ],
    [
      ['x-name', 'Zoë'],
      ['ключ', 'значение'],
      ['emoji', '🙂'],
    ],
  ];
  it('returnPairs writes the bytes encodePairs makes', () => {
    for (const pairs of cases) {
      const g = guest();
      g.mem.returnPairs(pairs, 0, 4);
      expect(Buffer.from(read(g)).equals(Buffer.from(encodePairs(pairs)))).toBe(true);
    }
  });

  it('returns an empty map, string or byte value as pointer 0, size 0 without calling the allocator (cpp-host copyToPointerSize)', () => {
    for (const put of [
      (m: GuestMemory) => m.returnPairs([], 0, 4),
      (m: GuestMemory) => m.returnString('', 0, 4),
      (m: GuestMemory) => m.returnBytes(new Uint8Array(0), 0, 4),
    ]) {
      const g = guest();
      let calls = 0;
      g.mem.allocate = () => {
        calls++;
        return 1024;
      };
      new DataView(g.u8().buffer).setUint32(0, 77, true);
      new DataView(g.u8().buffer).setUint32(4, 77, true);
      put(g.mem);
      const dv = new DataView(g.u8().buffer);
      expect([dv.getUint32(0, true), dv.getUint32(4, true), calls]).toEqual([0, 0, 0]);
    }
  });

  it('returnString and string round-trip ASCII and other text of any length', () => {
    // Past 32 chars returnString takes its native path: long ASCII, long Latin-1 (é must not be
    // written as one latin1 byte), long Cyrillic, and a surrogate pair at the end of long text.
    const long = ['a'.repeat(200), 'é'.repeat(40), 'значение'.repeat(5), `${'x'.repeat(40)}🙂`];
    for (const s of ['', 'GET', 'x-forwarded-proto', 'Zoë', 'значение-длинное-значение', '🙂🙂', ...long]) {
      const g = guest();
      g.mem.returnString(s, 0, 4);
      expect(Buffer.from(read(g)).toString('utf8')).toBe(s);
      const len = put(g, 2048, s);
      expect(g.mem.string(2048, len)).toBe(s);
    }
  });

  it('indexOfKey matches keys case-insensitively in place, first match wins, non-ASCII by string', () => {
    const g = guest();
    const pairs: HeaderPairs = [
      ['a', '1'],
      ['x-user', '2'],
      ['x-user', '3'],
      ['ключ', '4'],
    ];
    expect(g.mem.indexOfKey(pairs, 2048, put(g, 2048, 'X-User'))).toBe(1);
    expect(g.mem.indexOfKey(pairs, 2048, put(g, 2048, 'x-use'))).toBe(-1);
    expect(g.mem.indexOfKey(pairs, 2048, put(g, 2048, 'КЛЮЧ'))).toBe(3);
    expect(() => g.mem.indexOfKey(pairs, 70_000, 4)).toThrow(/outside linear memory/);
  });
});
