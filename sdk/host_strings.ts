// Strings to the host without a managed buffer in between: a header name or value the SDK hands
// the host is encoded into scratch memory that the next host call reuses, so a header operation
// leaves no garbage behind (docs/BENCHMARKS.md, "SDK overhead and stream-end collection").

// Unmanaged (TLSF) memory, never collected: grows to the largest pair of strings handed over.
/** Where the staged strings start: the first at `staged`, the second `stagedLen` bytes after it. */
export let staged: usize = 0;
let stagedBytes: usize = 0;
/** UTF-8 length of the first staged string. */
export let stagedLen: usize = 0;

/**
 * Encodes `a` (and `b` right after it) as UTF-8 into the scratch memory for one host call: `a` at
 * `staged` with `stagedLen` bytes; returns the length of `b`. Valid until the next stage().
 */
export function stage(a: string, b: string = ""): usize {
  const bytes = ((<usize>a.length + <usize>b.length) * 3) | 1;
  if (bytes > stagedBytes) {
    // The old contents need not survive: free and allocate rather than realloc (less code).
    if (staged != 0) heap.free(staged);
    staged = heap.alloc(bytes);
    stagedBytes = bytes;
  }
  stagedLen = String.UTF8.encodeUnsafe(changetype<usize>(a), a.length, staged, false, String.UTF8.ErrorMode.WTF8);
  return String.UTF8.encodeUnsafe(changetype<usize>(b), b.length, staged + stagedLen, false, String.UTF8.ErrorMode.WTF8);
}
