/**
 * `npm run simulate -- --devices 100 --speed 60`: the same as `homepay simulate`, run from source.
 */
import { runCli } from '../cli/index.js';

await runCli([process.argv[0] ?? 'node', 'homepay', 'simulate', ...process.argv.slice(2)]);
