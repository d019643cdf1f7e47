import { describe, expect, it } from 'vitest';
import { runSoak } from '../../scripts/soak.js';

/**
 * The soak in miniature: about ten seconds of 40 devices reporting every second and speakers
 * ordering, with a phone approving. `npm run soak` is the real one (60 s by default; ten minutes
 * and 1,000 devices with `--minutes 10 --devices 1000`).
 */
describe('soak', () => {
  it('keeps memory and every queue flat while 40 devices talk for ten seconds', async () => {
    const lines: string[] = [];
    const report = await runSoak({
      durationMs: 10_000,
      devices: 40,
      readingEveryMs: 1000,
      utteranceEveryMs: 2000,
      sampleEveryMs: 1000,
      print: (line) => lines.push(line),
    });
    console.log(lines.join('\n'));
    expect(report.growing).toEqual([]);
    expect(report.heapGrowthMb).toBeLessThan(40);
    expect(report.work.readings).toBeGreaterThan(200);
    expect(report.work.approvals).toBeGreaterThan(5);
    expect(report.ok).toBe(true);
  }, 120_000);
});
