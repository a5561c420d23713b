import { defineConfig } from 'vitest/config';

// Native addons (libtorch) are not safe to share across worker threads: every test file runs
// in its own forked process, which also isolates a crash to one file.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: more parallel files only fight over them (libtorch already uses threads).
    maxWorkers: 2,
    reporters: ['default', './test/support/plain-summary-reporter.ts'],
  },
});
