/**
 * Status, conditions and logs quote URLs and error messages; a url written as
 * `https://user:token@host/filter.wasm` must not carry its credentials into them.
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@"']+@/gi, '$1***@');
}
