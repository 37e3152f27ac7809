import { RegistryError } from '../errors.js';

/**
 * An overall deadline for one operation (a pull, a resolve): every request it makes, retries,
 * token fetches and redirects included, must finish before it. An idle timeout alone never ends
 * a registry that drips a byte every few seconds; this does. Istio bounds its whole fetch the
 * same way (a context deadline around the fetch in pkg/wasm/cache.go).
 */
export interface Deadline {
  readonly ms: number;
  readonly signal: AbortSignal;
}

/** Default for `meshwasm pull` and the control plane's registry fetches: 5 minutes. */
export const defaultDeadlineMs = 300_000;

export function startDeadline(ms: number): Deadline {
  return { ms, signal: AbortSignal.timeout(ms) };
}

/** The error a request gets when the deadline passes: not retryable, the time is spent. */
export function deadlineError(d: Deadline, method: string, url: URL): RegistryError {
  const s = d.ms >= 1000 ? `${Math.round(d.ms / 100) / 10} s` : `${d.ms} ms`;
  return new RegistryError(
    'remote',
    `${method} ${url.host}${url.pathname}: not done within the ${s} deadline of this operation; the registry is stalled or too slow (raise the deadline with --deadline / --fetch-deadline if it is only slow)`,
  );
}
