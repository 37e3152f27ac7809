import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'filters/*/test/**/*.test.ts'],
    // Integration suites start real servers (docker-registry, gRPC, HTTP) and compile
    // real modules; on a 2-core machine they need more than vitest's 5 s default.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2 } },
  },
});
