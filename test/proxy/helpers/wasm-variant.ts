// A second version of a module with the same code: the same bytes plus a custom section, so the
// sha256 differs (as a rebuilt filter's would) while the behaviour stays the filter's own.
export function withCustomSection(module: Uint8Array, tag: string): Uint8Array {
  const name = Buffer.from('meshwasm-version');
  const payload = Buffer.from(tag);
  const body = Buffer.concat([Buffer.from([name.length]), name, payload]);
  if (body.length > 127) throw new Error('tag too long for a one-byte section size');
  return new Uint8Array(Buffer.concat([Buffer.from(module), Buffer.from([0x00, body.length]), body]));
}
