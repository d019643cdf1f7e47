import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { projectRoot } from '../../../paths.js';

/** One file of the web app, held in memory with its digest (the set is small and fixed at start). */
export interface WebAsset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/** Everything the web app serves: its own files from `src/web/`, and the vendored browser builds. */
export interface WebBundle {
  /** Changes whenever any file changes: asset URLs carry it, so they can be cached forever. */
  build: string;
  /** By path under `/assets/{build}/`, e.g. `app.js`, `screens/home.js`, `vendor/nacl-fast.min.js`. */
  assets: Map<string, WebAsset>;
  /** The shell (index.html), the service worker and the manifest, with the build filled in. */
  shell: WebAsset;
  serviceWorker: WebAsset;
  manifest: WebAsset;
}

export const webDir = path.join(projectRoot, 'src', 'web');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

/** Files at the top of `src/web/` that are served at fixed URLs, not under `/assets/`. */
const TOP_LEVEL = new Set(['index.html', 'sw.js', 'manifest.webmanifest']);

/**
 * The browser builds of our two browser libraries, read from node_modules as installed (no
 * download, no bundler): each is a UMD file that sets a global (`nacl`, `SimpleWebAuthnBrowser`).
 */
function vendorFiles(): Array<[string, string]> {
  const require = createRequire(import.meta.url);
  const packageDir = (name: string) => {
    let dir = path.dirname(require.resolve(name));
    while (!existsSync(path.join(dir, 'package.json')) || !dir.endsWith(name.split('/').pop() ?? name)) {
      const parent = path.dirname(dir);
      if (parent === dir) throw new Error(`cannot find the package folder of ${name}`);
      dir = parent;
    }
    return dir;
  };
  return [
    ['vendor/nacl-fast.min.js', path.join(packageDir('tweetnacl'), 'nacl-fast.min.js')],
    [
      'vendor/simplewebauthn-browser.min.js',
      path.join(packageDir('@simplewebauthn/browser'), 'dist', 'bundle', 'index.umd.min.js'),
    ],
  ];
}

function walk(dir: string, prefix = ''): Array<[string, string]> {
  const files: Array<[string, string]> = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...walk(path.join(dir, entry.name), relative));
    else if (entry.isFile() && CONTENT_TYPES[path.extname(entry.name)]) {
      files.push([relative, path.join(dir, entry.name)]);
    }
  }
  return files;
}

function asset(name: string, body: Buffer): WebAsset {
  return {
    body,
    contentType: CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

/** Reads the web app once, at start. */
export function loadWebBundle(dir = webDir): WebBundle {
  const files = [...walk(dir).filter(([name]) => !TOP_LEVEL.has(name)), ...vendorFiles()].sort(([a], [b]) =>
    a.localeCompare(b),
  );
  const digest = createHash('sha256');
  const assets = new Map<string, WebAsset>();
  for (const [name, file] of files) {
    const body = readFileSync(file);
    assets.set(name, asset(name, body));
    digest.update(name).update('\0').update(body);
  }
  const topLevel = Object.fromEntries(
    [...TOP_LEVEL].map((name) => [name, readFileSync(path.join(dir, name), 'utf8')] as const),
  );
  for (const text of Object.values(topLevel)) digest.update(text);
  const build = digest.digest('hex').slice(0, 12);
  const fill = (name: string) =>
    asset(
      name,
      Buffer.from(
        (topLevel[name] ?? '')
          .replaceAll('__BUILD__', build)
          .replace(
            /["']__ASSETS__["']/,
            JSON.stringify([...assets.keys()].map((key) => `/assets/${build}/${key}`)),
          ),
        'utf8',
      ),
    );
  return {
    build,
    assets,
    shell: fill('index.html'),
    serviceWorker: fill('sw.js'),
    manifest: fill('manifest.webmanifest'),
  };
}
