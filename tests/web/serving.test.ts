import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webDir } from '../../src/api/routes/web/assets.js';
import { APP_PAGES, CONTENT_SECURITY_POLICY } from '../../src/api/routes/web/index.js';
import { startHub, type TestHub } from '../helpers/hub.js';

let hub: TestHub;

beforeAll(async () => {
  hub = await startHub();
});
afterAll(async () => {
  await hub.stop();
});

function get(url: string, headers: Record<string, string> = {}) {
  return hub.api({ method: 'GET', url, token: null, headers });
}

/** The `/assets/{build}/...` URLs the shell loads. */
function shellAssets(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
}

function jsFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return jsFiles(path.join(dir, entry.name), relative);
    return entry.name.endsWith('.js') ? [relative] : [];
  });
}

describe('the web app shell', () => {
  it('serves the same HTML shell at every app page, revalidated on every load', async () => {
    for (const page of APP_PAGES) {
      const response = await get(page.replace(':id', 'pi_abc'));
      expect(response.statusCode, page).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.body).toContain('<main id="view">');
    }
  });

  it('sends a CSP without inline script, and the other security headers, with every web response', async () => {
    for (const url of ['/', '/pair?code=ABC', '/sw.js', '/manifest.webmanifest']) {
      const response = await get(url);
      expect(response.headers['content-security-policy'], url).toBe(CONTENT_SECURITY_POLICY);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['cross-origin-opener-policy']).toBe('same-origin');
    }
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
  });

  it('has no inline script or style in the shell: every script has a src under /assets', async () => {
    const html = (await get('/')).body;
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const [, attributes, body] of scripts) {
      expect(attributes).toMatch(/src="\/assets\//);
      expect(body?.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style|style="|\son[a-z]+="/i);
  });

  it('serves every asset the shell names, cached for a year under a build-specific URL', async () => {
    const html = (await get('/')).body;
    const assets = shellAssets(html);
    expect(assets.some((url) => url.endsWith('/vendor/nacl-fast.min.js'))).toBe(true);
    expect(assets.some((url) => url.endsWith('/vendor/simplewebauthn-browser.min.js'))).toBe(true);
    for (const url of assets) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(response.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    }
  });

  it('answers 304 to a matching If-None-Match and 404 to another build or an unknown file', async () => {
    const [script] = shellAssets((await get('/')).body).filter((url) => url.endsWith('/app.js'));
    const first = await get(script as string);
    expect(first.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const again = await get(script as string, { 'if-none-match': first.headers.etag as string });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(
      (await get((script as string).replace(/\/assets\/[^/]+\//, '/assets/000000000000/'))).statusCode,
    ).toBe(404);
    expect((await get((script as string).replace('app.js', 'nope.js'))).statusCode).toBe(404);
    expect((await get((script as string).replace('app.js', '../../package.json'))).statusCode).toBe(404);
  });

  it('vendors the browser builds of tweetnacl and @simplewebauthn/browser from node_modules', async () => {
    const assets = shellAssets((await get('/')).body);
    const nacl = await get(assets.find((url) => url.includes('nacl')) as string);
    expect(nacl.body).toContain('self.nacl');
    const webauthn = await get(assets.find((url) => url.includes('simplewebauthn')) as string);
    expect(webauthn.body).toContain('SimpleWebAuthnBrowser');
    expect(webauthn.body).toContain('startAuthentication');
  });

  it('resolves every relative import of every module to a served file', async () => {
    const [app] = shellAssets((await get('/')).body).filter((url) => url.endsWith('/app.js'));
    const base = (app as string).replace(/app\.js$/, '');
    for (const file of jsFiles(webDir).filter((name) => name !== 'sw.js')) {
      const source = readFileSync(path.join(webDir, file), 'utf8');
      for (const [, target] of source.matchAll(/from '(\.[^']+)'/g)) {
        const resolved = path.posix.join(path.posix.dirname(file), target as string);
        expect((await get(`${base}${resolved}`)).statusCode, `${file} imports ${target}`).toBe(200);
      }
    }
  });

  it('never builds markup from strings in the browser code (no innerHTML, eval or inline handlers)', () => {
    for (const file of jsFiles(webDir)) {
      const source = readFileSync(path.join(webDir, file), 'utf8');
      expect(source, file).not.toMatch(
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/,
      );
    }
  });

  it('serves the service worker from the root, uncached, with this build and its asset list', async () => {
    const response = await get('/sw.js');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache');
    const build = /\/assets\/([0-9a-f]{12})\//.exec((await get('/')).body)?.[1];
    expect(response.body).toContain(`const BUILD = '${build}'`);
    const assets = JSON.parse(/const ASSETS = (\[[^\]]*\]);/.exec(response.body)?.[1] ?? 'null') as string[];
    expect(assets).toContain(`/assets/${build}/app.js`);
    expect(response.body).not.toContain('__ASSETS__');
  });

  it('serves an installable manifest whose icons exist', async () => {
    const response = await get('/manifest.webmanifest');
    expect(response.headers['content-type']).toBe('application/manifest+json; charset=utf-8');
    const manifest = JSON.parse(response.body) as {
      start_url: string;
      display: string;
      icons: Array<{ src: string }>;
    };
    expect(manifest.start_url).toBe('/');
    expect(manifest.display).toBe('standalone');
    for (const icon of manifest.icons) expect((await get(icon.src)).statusCode, icon.src).toBe(200);
  });

  it('keeps the API JSON and its 404s as they were', async () => {
    const missing = await get('/nowhere');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await get('/api/health')).json()).toMatchObject({ status: 'ok' });
  });
});
