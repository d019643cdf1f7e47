import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, type CDPSession, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { startHub, type TestHub } from '../helpers/hub.js';
import { freePort } from '../helpers/processes.js';

/**
 * A real browser for the web app's tests: Debian's chromium (.ci/run installs it; never a
 * downloaded browser), driven by playwright-core, in a phone-sized viewport, with a CDP virtual
 * authenticator standing in for the phone's fingerprint sensor.
 */

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.join(import.meta.dirname, 'screenshots');

/** About an iPhone 14 / Pixel 7: what the app must fit. */
export const PHONE = { width: 390, height: 844 };

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
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
}

/** A phone: small touch screen, Chinese locale unless told otherwise, notifications allowed. */
export async function phoneContext(browser: Browser, locale = 'zh-CN'): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: PHONE,
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale,
    timezoneId: 'Asia/Shanghai',
  });
  return context;
}

/** A hub whose public URL is http://localhost:PORT: a secure context, so WebAuthn works. */
export async function startWebHub(
  overrides: Record<string, unknown> = {},
): Promise<{ hub: TestHub; url: string }> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const hub = await startHub({ overrides: { http: { port, publicUrl: url }, ...overrides } });
  return { hub, url };
}

export interface VirtualAuthenticator {
  cdp: CDPSession;
  id: string;
  /** Makes the next fingerprint checks fail (true) or pass again (false). */
  failVerification(fail: boolean): Promise<void>;
  credentials(): Promise<Array<{ credentialId: string; signCount: number }>>;
}

/** A platform authenticator with user verification, as on a phone with a fingerprint sensor. */
export async function addVirtualAuthenticator(page: Page): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    cdp,
    id: authenticatorId,
    failVerification: async (fail) => {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: !fail });
    },
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
  };
}

/** Saves a screenshot for a person to look at (tests/e2e/screenshots/, ignored by git). */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage });
}

/** Opens `url` and waits for the app to finish its first render. */
export async function open(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
}

/** The browser's console errors and failed requests, so a broken page fails the test with a reason. */
export function watchForErrors(page: Page): () => void {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) {
      problems.push(`console: ${message.text()}`);
    }
  });
  return () => expect(problems).toEqual([]);
}
