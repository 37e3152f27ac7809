import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'filters/*/test/**/*.test.ts'],
    // Integration suites start real servers (docker-registry, gRPC, HTTP) and compile
    // real modules; on a 2-core machine they need more than vitest's 5 s default.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Removes every temporary directory a test file made, when the file ends.
    setupFiles: ['test/helpers/clean-temp-dirs.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2 } },
  },
});
