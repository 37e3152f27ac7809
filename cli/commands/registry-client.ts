import type { RegistryClient } from '../../control-plane/index.js';
import { CliError, ExitCode } from '../errors.js';

/**
 * registry/ is built on its own branch; it is loaded at run time through its public index so
 * this area compiles and tests without it. Once both are merged this could be a static import.
 */
export async function loadRegistry(command: string): Promise<RegistryClient> {
  const path = '../../registry/index.js';
  try {
    return (await import(path)) as RegistryClient;
  } catch (err) {
    throw new CliError(
      `${command}: registry support (registry/) is not available in this build: ${(err as Error).message}; use an http(s):// URL or a ref pinned with @sha256:`,
      ExitCode.internal,
    );
  }
}
