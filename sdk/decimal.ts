// Integers as decimal text. The standard library's integer toString(radix) brings every radix,
// a digit table and its RangeError message into each module that prints a number; filters only
// ever print base 10, and this is a fraction of that code.

/**
 * `value` in base 10, "-" first when negative: the text `value.toString()` gives. Takes any
 * integer type that widens to i64 (i8 … i64, u8 … u32); u64 has formatUint.
 */
export function formatInt(value: i64): string {
  // i64.MIN_VALUE negates to itself, whose bits read as u64 are its magnitude, 2^63.
  return digits(value < 0 ? <u64>-value : <u64>value, value < 0);
}

/** `value` in base 10, values above i64.MAX_VALUE included. */
export function formatUint(value: u64): string {
  return digits(value, false);
}

function digits(magnitude: u64, negative: bool): string {
  let count = 1;
  for (let rest = magnitude; rest >= 10; rest /= 10) count++;
  const length = count + <i32>negative;
  const out = changetype<string>(__new(<usize>length << 1, idof<string>()));
  let at = changetype<usize>(out) + (<usize>length << 1);
  let rest = magnitude;
  do {
    at -= 2;
    store<u16>(at, 0x30 + <u32>(rest % 10));
    rest /= 10;
  } while (rest != 0);
  if (negative) store<u16>(changetype<usize>(out), 0x2d);
  return out;
}
