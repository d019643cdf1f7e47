import { defineConfig } from 'vitest/config';

// Two long tests run alone, each in a group that starts when the one before has finished: the
// crash test (200 SIGKILLs of child hub processes) needs both cores for two minutes and, beside the
// browser and broker tests, starves their timeouts; the soak (a minute of 200 devices) judges
// memory, which other tests in the same process would move.
const crashTest = 'tests/safety/crash.test.ts';
const soakTest = 'tests/safety/soak.test.ts';

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
          exclude: [crashTest, soakTest],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'crash', include: [crashTest], sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        test: { name: 'soak', include: [soakTest], sequence: { groupOrder: 2 } },
      },
    ],
  },
});
