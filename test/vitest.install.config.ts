import { defineConfig } from 'vitest/config';

// The install lane (`npm run test:install`): docs/own-app.md applied to a new Strapi app. Minutes of npm
// installs and an admin build, so it is not part of `npm test`; run it before a stop that touches the
// packages or docs/own-app.md.
export default defineConfig({
  test: {
    include: ['install/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 1_500_000,
  },
});
