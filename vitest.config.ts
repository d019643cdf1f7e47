import { defineConfig } from 'vitest/config';

// The crash test (200 SIGKILLs of child hub processes) needs both cores for two minutes; run beside
// the browser and broker tests it starves their timeouts. So it is a project of its own, in a
// second group that starts when every other test has finished.
const crashTest = 'tests/safety/crash.test.ts';

export default defineConfig({
  test: {
    // Two cores here: integration tests start brokers and servers, so keep the pool small.
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'hub',
          include: ['tests/**/*.test.ts'],
          exclude: [crashTest],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'crash', include: [crashTest], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
