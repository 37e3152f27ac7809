import type { FilterSpec } from './filter-spec.js';
import type { LoadedFilter } from './loaded-filter.js';

/** A hot-swap request the admin listener refuses: the HTTP status and why. */
export class SwapRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The most bytes a PUT /filters/NAME/module may carry (a release filter is tens of KB). */
export const MAX_SWAP_BYTES = 64 * 1024 * 1024;

/**
 * The chain after replacing one wasm filter's module (and its configuration, when given): the
 * other filters as they are, so they keep their VMs and state. `meshwasm dev --proxy-admin` and
 * `curl -X PUT --data-binary @build/release.wasm` use it through the admin listener.
 */
export function swappedChain(
  current: readonly LoadedFilter[],
  name: string,
  module: Uint8Array,
  configuration?: string,
): FilterSpec[] {
  const target = current.find((f) => f.name === name);
  if (target?.spec.kind !== 'wasm') {
    const names = current.filter((f) => f.kind === 'wasm').map((f) => `"${f.name}"`);
    throw new SwapRefused(
      404,
      `no wasm filter "${name}" in the chain${names.length ? `; it has ${names.join(', ')}` : ' (it has none)'}; PUT /filters/<one of those>/module`,
    );
  }
  return current.map((f) => {
    if (f !== target || f.spec.kind !== 'wasm') return f.spec;
    const { sha256: _sha, modulePath: _path, ...rest } = f.spec;
    return { ...rest, module, ...(configuration !== undefined ? { configuration } : {}) };
  });
}

/**
 * The module and optional configuration of a swap request: the raw module
 * (`content-type: application/wasm`), or JSON `{ "module": base64, "configuration": string }`.
 */
export function parseSwapBody(
  body: Buffer,
  contentType: string | undefined,
): { module: Uint8Array; configuration?: string } {
  if ((contentType ?? '').startsWith('application/json')) {
    let parsed: { module?: unknown; configuration?: unknown };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch (err) {
      throw new SwapRefused(
        400,
        `the JSON body does not parse (${(err as Error).message}); send { "module": base64, "configuration": string }`,
      );
    }
    if (typeof parsed.module !== 'string')
      throw new SwapRefused(400, 'the JSON body has no "module" (the .wasm as base64)');
    if (parsed.configuration !== undefined && typeof parsed.configuration !== 'string')
      throw new SwapRefused(
        400,
        '"configuration" must be a string (the plugin configuration exactly as the filter reads it)',
      );
    return {
      module: new Uint8Array(Buffer.from(parsed.module, 'base64')),
      ...(parsed.configuration !== undefined ? { configuration: parsed.configuration } : {}),
    };
  }
  return { module: new Uint8Array(body) };
}
