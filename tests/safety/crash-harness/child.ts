/**
 * A hub process kept warm for the crash test. Loading homepay's modules through tsx costs more
 * than a second of CPU, far more than the hub's own start; paying it while the previous hub is
 * still working (and about to be killed) is what makes hundreds of real SIGKILLs fit in a CI run.
 *
 * It imports `src/main.ts` (which does not run the hub when imported) and touches nothing on disk
 * until the parent writes a line to stdin; then it runs exactly what `npm start` runs:
 * `runHub()`, which reads the environment, starts the hub and logs "homepay is ready".
 * If the parent goes away (stdin ends), the process ends too, so no hub outlives the test.
 */
// `src/main.ts` runs the hub by itself when it is the script node was started with. Bundled into
// this file (hub-process.ts `bundleStandby`) it would think it is, and start a hub at once, beside
// the one still running; so the script's name is changed before main.ts is evaluated.
process.argv[1] = 'homepay-crash-standby';
const { runHub } = await import('../../../src/main.js');

process.stdin.on('end', () => process.exit(0));
process.stdin.once('data', () => {
  void runHub();
});
process.stdin.resume();
process.stdout.write(`${JSON.stringify({ msg: 'crash-harness standby', pid: process.pid })}\n`);
