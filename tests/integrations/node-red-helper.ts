import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * node-red-node-test-helper and the node modules it loads are CommonJS and run natively (not through
 * vitest's transform), as Node-RED itself would load them.
 */
const require = createRequire(import.meta.url);

export interface RedNode {
  id: string;
  type: string;
  credentials?: Record<string, unknown>;
  on(event: 'input', handler: (msg: Record<string, unknown>) => void): void;
  on(event: `call:${string}`, handler: (call: { args: unknown[] }) => void): void;
  receive(msg: Record<string, unknown>): void;
  status: { getCalls?: () => Array<{ args: unknown[] }> } & ((status: object) => void);
}

export interface NodeTestHelper {
  init(runtimePath: string, settings?: Record<string, unknown>): void;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
  load(nodes: unknown[], flow: object[], credentials?: Record<string, object>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): RedNode | null;
  log(): { args: unknown[][]; getCalls(): Array<{ args: unknown[] }> };
  _logSpy: { getCalls(): Array<{ args: Array<{ level: number; msg: unknown; type?: string }> }> };
}

export const helper = require('node-red-node-test-helper') as NodeTestHelper;
helper.init(require.resolve('node-red'));

const packageDir = path.resolve(import.meta.dirname, '../../flows/node-red-contrib-homepay');

/** Our five node modules, loaded the way Node-RED loads them (CommonJS `module.exports = (RED) => ...`). */
export const homepayNodes = [
  'homepay-hub',
  'homepay-order',
  'homepay-intent',
  'homepay-events',
  'homepay-wallet',
].map((name) => require(path.join(packageDir, 'nodes', `${name}.js`)) as unknown);

/** Core Node-RED nodes by the file they live in (node_modules/@node-red/nodes/core). */
export function coreNode(file: string): unknown {
  return require(`@node-red/nodes/core/${file}`);
}

export const examplesDir = path.resolve(import.meta.dirname, '../../flows/examples');
export { packageDir };
