import { defineConfig } from 'vitest/config';

// Two projects, one command (`npm test`):
// - unit: every test/**/*.test.ts. Native addons (libtorch) are not safe to share across worker
//   threads, so each file runs in its own forked process, which also isolates a crash to one file.
// - e2e: Chromium against `onemark serve` with real engine processes, one file at a time (each
//   starts training on the 2 cores).
export default defineConfig({
  test: {
    reporters: ['default', './test/support/plain-summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'node_modules/**'],
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Two cores: more parallel files only fight over them (libtorch already uses threads).
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'e2e',
          // After the unit project, never beside it: both would fight for the 2 cores.
          sequence: { groupOrder: 1 },
          include: ['test/e2e/**/*.e2e.test.ts'],
          pool: 'forks',
          fileParallelism: false,
          maxWorkers: 1,
          testTimeout: 240_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
