import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most test time is waiting on loopback servers, simulated delays and polls, not CPU: three
    // files at once halve the suite's wall time on two cores (vitest's default here is one).
    maxWorkers: 3,
    reporters: ['default'],
  },
});
