// `meshwasm/sdk/join`: strings joined with a separator. Array<string>#join is the standard
// library's general join (a length pass, then a copy per element), code every module that calls it
// pays for; the lists filters join are short (configuration error messages, a claim's values), so a
// loop of concatenations is enough and smaller.

/** `items` with `separator` between neighbours: the text `items.join(separator)` gives. */
export function join(items: Array<string>, separator: string): string {
  let out = "";
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += separator;
    out += unchecked(items[i]);
  }
  return out;
}
