/**
 * Tiny proxy-wasm-shaped modules assembled byte by byte, so the tests need no compiler:
 * one `() -> ()` function exported under each given name (e.g. proxy_abi_version_0_2_1).
 * `salt` adds a custom section so tests can make distinct modules with the same exports.
 */
export function tinyModule(
  exportNames: string[] = ['proxy_abi_version_0_2_1', 'proxy_on_memory_allocate'],
  salt = '',
): Uint8Array {
  const bytes: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const leb = (n: number): number[] => {
    const out: number[] = [];
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n) b |= 0x80;
      out.push(b);
    } while (n);
    return out;
  };
  const name = (s: string): number[] => {
    const b = [...Buffer.from(s)];
    return [...leb(b.length), ...b];
  };
  const section = (id: number, body: number[]) => bytes.push(id, ...leb(body.length), ...body);
  section(1, [1, 0x60, 0, 0]); // one type: () -> ()
  section(3, [1, 0]); // one function of type 0
  section(7, [...leb(exportNames.length), ...exportNames.flatMap((n) => [...name(n), 0x00, 0x00])]);
  section(10, [1, 2, 0, 0x0b]); // body: no locals, end
  if (salt) section(0, [...name('meshwasm-test'), ...Buffer.from(salt)]);
  return new Uint8Array(bytes);
}
