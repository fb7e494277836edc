import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 20_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Provisions Envoy once (a pip install on a fresh machine) before the e2e files start.
          globalSetup: ['test/e2e/global-setup.ts'],
          hookTimeout: 300_000,
          testTimeout: 60_000,
        },
      },
    ],
  },
});
