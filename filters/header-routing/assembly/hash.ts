// Consistent bucketing for canaries: FNV-1a (32-bit) over the UTF-16 code units of the user key,
// mixed with a murmur3 finalizer so similar keys ("user-1", "user-2") spread evenly, then taken
// modulo 10000 (basis points). The same key always lands in the same bucket, on every proxy.

export function bucketOf(key: string): i32 {
  let h: u32 = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    const c = <u32>key.charCodeAt(i);
    h = (h ^ (c & 0xff)) * 0x01000193;
    h = (h ^ (c >>> 8)) * 0x01000193;
  }
  h ^= h >>> 16; h *= 0x85ebca6b; h ^= h >>> 13; h *= 0xc2b2ae35; h ^= h >>> 16;
  return <i32>(h % 10000);
}
