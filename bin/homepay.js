#!/usr/bin/env node
// The `homepay` command. It runs the compiled CLI; `npm install` builds it (the `prepare` script).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli/index.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('homepay is not built yet: run `npm run build` (npm install does it for you).\n');
  process.exit(1);
}
const { runCli } = await import(cli.href);
await runCli(process.argv);
