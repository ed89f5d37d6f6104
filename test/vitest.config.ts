import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts'],
    globalSetup: ['./support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    // Two files at a time: much of an end-to-end test is waiting (Strapi starting, queues, retries,
    // receivers), so two overlap well on 2 cores. Each file has a database of its own on the shared
    // Postgres and its ports from a range of its own (packages/worker/test/support/ports.ts).
    fileParallelism: true,
    maxWorkers: 2,
  },
});
