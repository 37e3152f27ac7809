import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { RegistryError } from '../../../registry/index.js';
import { startRegistry, type RunningRegistry } from './docker-registry.js';

/**
 * A suite's real docker-registry and a private DOCKER_CONFIG home, started before its tests and
 * removed after. Read `suite.reg` / `suite.home` inside tests (they exist once beforeAll ran).
 */
export function useOpenRegistry(prefix: string): { reg: RunningRegistry; home: string } {
  const suite = {} as { reg: RunningRegistry; home: string };
  beforeAll(async () => {
    suite.home = await mkdtemp(join(tmpdir(), `meshwasm-${prefix}-`));
    process.env.DOCKER_CONFIG = join(suite.home, 'docker');
    suite.reg = await startRegistry();
  });
  afterAll(async () => {
    await suite.reg?.stop();
    if (suite.home) await rm(suite.home, { recursive: true, force: true });
  });
  return suite;
}

/** The RegistryError a promise rejects with; fails the test when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<RegistryError> {
  try {
    await p;
  } catch (err) {
    return err as RegistryError;
  }
  throw new Error('expected a rejection');
}
