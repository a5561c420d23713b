import { defineConfig } from 'vitest/config';

// End-to-end: Chromium (playwright-core, Debian's /usr/bin/chromium) against `onemark serve`,
// with real engine processes. One file at a time: each starts training on the 2 cores.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 240_000,
    hookTimeout: 180_000,
  },
});
