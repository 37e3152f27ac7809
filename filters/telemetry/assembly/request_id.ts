// Request ids as Envoy makes them: random (version 4) UUIDs. Math.random is seeded from WASI
// random_get by the SDK's runtime, so ids differ across VMs.
export function newRequestId(): string {
  // The 36 characters written in place into one string: a character at a time by concatenation
  // made 36 intermediate strings per id.
  const out = changetype<string>(__new(36 << 1, idof<string>()));
  let p = changetype<usize>(out);
  for (let i = 0; i < 32; i++) {
    let d = <i32>(Math.random() * 16) & 15;
    if (i == 12) d = 4; // version
    else if (i == 16) d = 8 | (d & 3); // RFC 4122 variant
    if (i == 8 || i == 12 || i == 16 || i == 20) { store<u16>(p, 0x2d); p += 2; }
    store<u16>(p, <u16>(d < 10 ? 0x30 + d : 0x57 + d)); // 0-9, a-f
    p += 2;
  }
  return out;
}
