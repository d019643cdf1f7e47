import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageDir } from './node-red-helper.js';

/**
 * The package as a person installs it: in a Node-RED user directory's node_modules, found by
 * Node-RED's own registry through the `node-red` section of its package.json, with its editor HTML
 * and its message catalogs in both languages.
 */
const require = createRequire(import.meta.url);

interface NodeInfo {
  id: string;
  module: string;
  types: string[];
  enabled: boolean;
  err?: string;
}

interface Red {
  init(server: Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  runtime: {
    nodes: {
      getNodeList(options: object): Promise<NodeInfo[]>;
      getNodeConfigs(options: { lang: string }): Promise<string>;
      getModuleCatalog(options: { module: string; lang: string }): Promise<Record<string, unknown>>;
    };
  };
}

const RED = require('node-red') as Red;
const NODES = ['homepay-hub', 'homepay-order', 'homepay-intent', 'homepay-events', 'homepay-wallet'];
let userDir: string;
let server: Server;

beforeAll(async () => {
  userDir = mkdtempSync(path.join(tmpdir(), 'node-red-user-'));
  mkdirSync(path.join(userDir, 'node_modules'));
  symlinkSync(packageDir, path.join(userDir, 'node_modules', 'node-red-contrib-homepay'), 'dir');
  writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'node-red-project', dependencies: { 'node-red-contrib-homepay': 'file:../' } }),
  );
  server = createServer();
  RED.init(server, {
    userDir,
    httpAdminRoot: false,
    httpNodeRoot: false,
    logging: { console: { level: 'off' } },
    editorTheme: { tours: false },
    credentialSecret: false,
  });
  await RED.start();
}, 60_000);

afterAll(async () => {
  await RED.stop();
  server.close();
  rmSync(userDir, { recursive: true, force: true });
});

describe('node-red-contrib-homepay installed into Node-RED 4', () => {
  it('is found through its package.json and each of its five nodes loads', async () => {
    const ours = (await RED.runtime.nodes.getNodeList({})).filter(
      (n) => n.module === 'node-red-contrib-homepay',
    );
    expect(ours.flatMap((n) => n.types).sort()).toEqual([...NODES].sort());
    for (const set of ours) {
      expect(set.err, `${set.id}: ${set.err}`).toBeUndefined();
      expect(set.enabled).toBe(true);
    }
  });

  it('gives the editor its forms and help in English and Chinese', async () => {
    const en = await RED.runtime.nodes.getNodeConfigs({ lang: 'en-US' });
    const zh = await RED.runtime.nodes.getNodeConfigs({ lang: 'zh-CN' });
    for (const name of NODES) {
      expect(en).toContain(`data-template-name="${name}"`);
      expect(en).toContain(`data-help-name="${name}"`);
    }
    expect(en).toContain('Places a voice-style order from words');
    expect(zh).toContain('用一句话下单');
  });

  it('has the same message keys in both languages for every node', async () => {
    const keys = (value: unknown, prefix = ''): string[] =>
      value && typeof value === 'object'
        ? Object.entries(value).flatMap(([k, v]) => keys(v, `${prefix}${k}.`))
        : [prefix];
    for (const name of NODES) {
      const en = await RED.runtime.nodes.getModuleCatalog({
        module: `node-red-contrib-homepay/${name}`,
        lang: 'en-US',
      });
      const zh = await RED.runtime.nodes.getModuleCatalog({
        module: `node-red-contrib-homepay/${name}`,
        lang: 'zh-CN',
      });
      expect(Object.keys(en)).toEqual([name]);
      expect(keys(zh).sort()).toEqual(keys(en).sort());
    }
  });

  it('every key a node uses at run time is in its catalog', () => {
    for (const name of NODES) {
      const source = readFileSync(path.join(packageDir, 'nodes', `${name}.js`), 'utf8');
      const catalog = JSON.parse(
        readFileSync(path.join(packageDir, 'nodes', 'locales', 'en-US', `${name}.json`), 'utf8'),
      ) as Record<string, Record<string, unknown>>;
      const used = [...source.matchAll(/label\('([a-zA-Z.]+)'/g)].map((m) => m[1] as string);
      const shared = [...source.matchAll(/RED\._\('([a-zA-Z.-]+)'/g)].map((m) =>
        (m[1] as string).replace(`${name}.`, ''),
      );
      for (const key of [...used, ...shared]) {
        const found = key
          .split('.')
          .reduce<unknown>((at, part) => (at as Record<string, unknown>)?.[part], catalog[name]);
        expect(typeof found, `${name}: ${key}`).toBe('string');
      }
    }
  });
});
