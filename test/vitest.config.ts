import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'test/soak/**', 'node_modules/**'],
    pool: 'forks',
    // Two cores: run two files at a time; each wire-level suite starts its own servers on ephemeral ports.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
