import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['./test/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // ffmpeg already uses both cores; test files run one after another.
    fileParallelism: false,
  },
});
