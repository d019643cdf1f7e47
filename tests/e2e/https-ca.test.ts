import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type TestHub } from '../helpers/hub.js';
import { execFileAsync, freePort } from '../helpers/processes.js';
import { addVirtualAuthenticator, CHROMIUM, PHONE, screenshot } from './browser.js';

/**
 * A phone that installed the hub's CA: Chromium with the CA in its NSS trust store (as a person
 * does once from /ca.crt) opens the pairing page over HTTPS, gets its service worker, and makes a
 * WebAuthn credential. The same browser without the CA is refused, so the trust comes from the CA.
 */
let hub: TestHub;
let httpsUrl: string;
const browsers: Browser[] = [];

beforeAll(async () => {
  const httpsPort = await freePort();
  httpsUrl = `https://localhost:${httpsPort}`;
  hub = await startHub({ overrides: { http: { httpsPort, publicUrl: httpsUrl } } });
});
afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await hub.stop();
});

/** A home dir whose NSS database (what Chromium on Linux trusts) holds the hub's CA, or nothing. */
async function homeWithTrust(caPem: string | undefined): Promise<string> {
  const home = mkdtempSync(path.join(tmpdir(), 'homepay-chromium-home-'));
  const nssdb = path.join(home, '.pki', 'nssdb');
  mkdirSync(nssdb, { recursive: true });
  await execFileAsync('certutil', ['-d', `sql:${nssdb}`, '-N', '--empty-password']);
  if (caPem) {
    const caFile = path.join(home, 'homepay-ca.crt');
    writeFileSync(caFile, caPem);
    await execFileAsync('certutil', [
      '-d',
      `sql:${nssdb}`,
      '-A',
      '-t',
      'C,,',
      '-n',
      'homepay hub CA',
      '-i',
      caFile,
    ]);
  }
  return home;
}

async function launch(home: string): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    env: { ...process.env, HOME: home },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  browsers.push(browser);
  return browser;
}

describe('HTTPS with the hub CA trusted in Chromium', () => {
  it('opens the pairing page over HTTPS, registers the service worker and creates a WebAuthn credential', async () => {
    const caPem = (await hub.api({ method: 'GET', url: '/ca.crt', token: null })).body;
    const browser = await launch(await homeWithTrust(caPem));
    const context = await browser.newContext({
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
      locale: 'en-US',
    });
    const page = await context.newPage();
    const authenticator = await addVirtualAuthenticator(page);
    const { url: pairingUrl } = (await hub.api({ method: 'POST', url: '/api/pairing' })).json() as {
      url: string;
    };
    expect(pairingUrl.startsWith(`${httpsUrl}/pair?code=`)).toBe(true);

    const response = await page.goto(pairingUrl);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('body[data-ready="true"]');
    // Browser globals, reached without DOM types in this Node test project.
    expect(await page.evaluate(() => Reflect.get(globalThis, 'isSecureContext'))).toBe(true);
    const scope = await page.evaluate(async () => {
      const nav = Reflect.get(globalThis, 'navigator') as {
        serviceWorker: { ready: Promise<{ scope: string }> };
      };
      return (await nav.serviceWorker.ready).scope;
    });
    expect(scope).toBe(`${httpsUrl}/`);

    await page.fill('#phone-name', 'HTTPS phone');
    await page.click('#pair-form button[type=submit]');
    await page.locator('#paired').waitFor();
    await page.click('#setup-biometric');
    await page.locator('#paired .card-status.ok').waitFor();
    expect(await authenticator.credentials()).toHaveLength(1);
    await screenshot(page, '30-https-paired');
  });

  it('is refused by the same browser without the CA', async () => {
    const browser = await launch(await homeWithTrust(undefined));
    const page = await (await browser.newContext()).newPage();
    await expect(page.goto(`${httpsUrl}/`)).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/);
  });
});
