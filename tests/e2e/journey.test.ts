import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  approvalFieldsOf,
  buildApprovalMessage,
  signApprovalMessage,
} from '../../src/confirm/approval-message.js';
import type { Intent } from '../../src/payments/intent.js';
import { addDevice, type TestHub } from '../helpers/hub.js';
import { connectClient } from '../helpers/mqtt.js';
import {
  addVirtualAuthenticator,
  launchChromium,
  open,
  phoneContext,
  screenshot,
  startWebHub,
  type VirtualAuthenticator,
  watchForErrors,
} from './browser.js';

/**
 * The whole journey of issue 6, in a phone-sized chromium: pair by the QR link, a voice order
 * arrives over MQTT from a native speaker, its card appears live, the fingerprint (a CDP virtual
 * authenticator with user verification) approves it, the balance drops and the history shows it;
 * another order is denied; a third, above the threshold, is refused when the fingerprint fails.
 */

/** ¥50.00: two bags of cat food are above it, so approving them needs the fingerprint. */
const THRESHOLD = 5000;

let browser: Browser;
let hub: TestHub;
let url: string;
let page: Page;
let authenticator: VirtualAuthenticator;
let speaker: MqttClient;
let speakerId: string;
let checkErrors: () => void;

async function pending(): Promise<Intent[]> {
  return (await hub.api({ method: 'GET', url: '/api/intents?status=requires_approval' })).json() as Intent[];
}

async function hubIntent(id: string): Promise<Intent> {
  return (await hub.api({ method: 'GET', url: `/api/intents/${id}` })).json() as Intent;
}

async function available(): Promise<string | null> {
  return page.locator('[data-testid=available]').textContent();
}

/** The speaker hears someone; the hub makes the order and its intent; the phone's card appears. */
async function voiceOrder(text: string, sessionId: string): Promise<Intent> {
  const known = new Set((await pending()).map((intent) => intent.id));
  await speaker.publishAsync(`homepay/speaker/${speakerId}/utterance`, JSON.stringify({ text, sessionId }), {
    qos: 1,
  });
  let order: Intent | undefined;
  await expect
    .poll(
      async () => {
        order = (await pending()).find((intent) => !known.has(intent.id));
        return order?.source;
      },
      { timeout: 10_000 },
    )
    .toEqual({ kind: 'voice', deviceId: speakerId });
  const card = page.locator(`article[data-intent="${order?.id}"]`);
  await card.waitFor({ timeout: 10_000 });
  return order as Intent;
}

beforeAll(async () => {
  browser = await launchChromium();
  ({ hub, url } = await startWebHub({ payments: { biometricAbove: THRESHOLD } }));
  const speakerDevice = await addDevice(hub, { profile: 'homepay-speaker', name: '客厅音箱' });
  speakerId = speakerDevice.id;
  speaker = await connectClient(hub.mqttPort, {
    username: speakerDevice.username,
    password: speakerDevice.password,
  });
  const card = await hub.api({
    method: 'POST',
    url: '/api/funding-sources',
    payload: { kind: 'debit_card', number: '6222 0212 3456 7890 128', holder: '王芳' },
  });
  expect(card.statusCode, card.body).toBe(201);
}, 60_000);

afterAll(async () => {
  await speaker?.endAsync(true);
  await browser?.close();
  await hub?.stop();
});

describe('the phone journey: pair, a voice order, approve with the fingerprint, deny, refuse', () => {
  it('pairs the phone by the QR link and registers its fingerprint', async () => {
    const pairing = await hub.api({ method: 'POST', url: '/api/web/pairing' });
    const { url: link, qr } = pairing.json() as { url: string; qr: string };
    expect(qr).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(link).toMatch(new RegExp(`^${url}/pair\\?code=`));

    const context = await phoneContext(browser);
    page = await context.newPage();
    checkErrors = watchForErrors(page);
    authenticator = await addVirtualAuthenticator(page);
    await open(page, link);
    await page.fill('#phone-name', '妈妈的手机');
    await page.click('#pair-form button[type=submit]');
    await page.locator('#paired').waitFor();
    await page.click('#setup-biometric');
    await page.locator('#paired .card-status.ok').waitFor();
    await screenshot(page, 'journey-01-paired');
    await page.click('#start');
    await page.locator('[data-testid=available]').waitFor();

    // Money in the wallet, the way a household puts it there: a top-up this phone approves.
    await page.click('#tabs a[href="/wallet"]');
    await page.fill('#topup-amount', '500.00');
    await page.click('.inline-form button[type=submit]');
    await page.locator('.inline-form .card-status.ok').waitFor();
    await page.click('#tabs a[href="/"]');
    const [topup] = await pending();
    await page.locator(`article[data-intent="${topup?.id}"] [data-action=approve]`).click();
    await expect.poll(available).toBe('¥500.00');
  });

  it('shows a voice order from the speaker live, approves it with the fingerprint, and the balance drops', async () => {
    const order = await voiceOrder('帮我买两袋猫粮', 's-1');
    expect(order.amount).toBeGreaterThan(THRESHOLD);
    const card = page.locator(`article[data-intent="${order.id}"]`);
    const text = await card.textContent();
    expect(text).toContain('客厅音箱');
    expect(text).toContain('帮我买两袋猫粮');
    expect(text).toContain('猫粮');
    expect(text).toContain(
      `¥${Math.floor(order.amount / 100)}.${String(order.amount % 100).padStart(2, '0')}`,
    );
    await screenshot(page, 'journey-02-voice-order');

    await card.locator('[data-action=approve]').click();
    await expect.poll(() => card.getAttribute('data-status')).toBe('succeeded');
    expect((await hubIntent(order.id)).status).toBe('succeeded');
    const left = 50_000 - order.amount;
    await expect.poll(available).toBe(`¥${Math.floor(left / 100)}.${String(left % 100).padStart(2, '0')}`);
    await screenshot(page, 'journey-03-approved');

    await page.click('#tabs a[href="/history"]');
    const row = page.locator(`#history [data-intent="${order.id}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('succeeded');
    expect(await row.textContent()).toContain('客厅音箱');
    await screenshot(page, 'journey-04-history');
    await page.click('#tabs a[href="/"]');
    await page.locator('[data-testid=available]').waitFor();
  });

  it('denies another voice order: nothing is paid', async () => {
    const before = await available();
    const order = await voiceOrder('帮我买一袋猫粮', 's-2');
    const card = page.locator(`article[data-intent="${order.id}"]`);
    await card.locator('[data-action=deny]').click();
    await expect.poll(() => card.getAttribute('data-status')).toBe('denied');
    expect((await hubIntent(order.id)).status).toBe('denied');
    await expect.poll(available).toBe(before);
    await screenshot(page, 'journey-05-denied');
  });

  it('refuses a third order above the threshold when the fingerprint fails, in the app and at the hub', async () => {
    await authenticator.failVerification(true);
    const order = await voiceOrder('帮我买两袋猫粮', 's-3');
    expect(order.amount).toBeGreaterThan(THRESHOLD);
    const card = page.locator(`article[data-intent="${order.id}"]`);
    await card.locator('[data-action=approve]').click();
    await card.locator('.card-status.error').waitFor();
    expect(await card.locator('.card-status').textContent()).toMatch(/指纹验证(未通过|没有完成)，没有付款。/);
    expect(await card.getAttribute('data-status')).toBe('requires_approval');
    await screenshot(page, 'journey-06-refused');

    // The hub refuses too: the phone's own valid Ed25519 signature is not enough above the threshold.
    const pairing = await page.evaluate<{
      phoneId: string;
      token: string;
      secretKey: number[];
    }>(`new Promise((resolve, reject) => {
      const request = indexedDB.open('homepay', 1);
      request.onerror = () => reject(request.error);
      request.onsuccess = () => {
        const read = request.result.transaction('kv').objectStore('kv').get('pairing');
        read.onsuccess = () => resolve({ ...read.result, secretKey: [...read.result.secretKey] });
      };
    })`);
    const message = buildApprovalMessage(approvalFieldsOf(order, 'approve', pairing.phoneId));
    expect(Uint8Array.from(pairing.secretKey)).toHaveLength(nacl.sign.secretKeyLength);
    const direct = await hub.api({
      method: 'POST',
      url: `/api/intents/${order.id}/approve`,
      token: pairing.token,
      payload: {
        phoneId: pairing.phoneId,
        signature: signApprovalMessage(message, Uint8Array.from(pairing.secretKey)),
      },
    });
    expect(direct.statusCode).toBe(403);
    expect(direct.json()).toMatchObject({ error: { code: 'biometric_required' } });
    expect((await hubIntent(order.id)).status).toBe('requires_approval');
  });

  it('caused no script errors and no CSP violations', () => {
    checkErrors();
  });
});
