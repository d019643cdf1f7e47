import { describe, expect, it } from 'vitest';
import { runSoak } from '../../scripts/soak.js';

/**
 * The soak as CI runs it (issue 10: a 60-second version in CI): a minute of 200 devices reporting
 * every second and speakers ordering, with a phone approving, in a vitest group of its own after
 * the rest of the suite (vitest.config.ts), so nothing else moves its memory. `npm run soak` is
 * the same code from the command line; `npm run soak -- --minutes 10 --devices 1000` the long one.
 */
describe('soak', () => {
  it('keeps memory and every queue flat while 200 devices talk for a minute', async () => {
    const lines: string[] = [];
    const report = await runSoak({
      durationMs: 60_000,
      devices: 200,
      readingEveryMs: 1000,
      utteranceEveryMs: 2000,
      sampleEveryMs: 2000,
      print: (line) => lines.push(line),
    });
    console.log(lines.join('\n'));
    expect(report.growing).toEqual([]);
    expect(report.heapGrowthMb).toBeLessThan(40);
    // Most of 200 devices x 60 readings arrived and were stored, and the phone kept approving.
    expect(report.work.readings).toBeGreaterThan(6000);
    expect(report.work.approvals).toBeGreaterThan(20);
    expect(report.ok).toBe(true);
  }, 240_000);
});
