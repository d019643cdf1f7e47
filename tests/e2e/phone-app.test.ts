import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Intent } from '../../src/payments/intent.js';
import { addDevice, type TestHub } from '../helpers/hub.js';
import { connectClient, eventually } from '../helpers/mqtt.js';
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
 * The phone web app in a real browser, for every screen but the voice journey (journey.test.ts):
 * pairing from the admin page's QR link, the fingerprint, live approvals of merchant and top-up
 * intents, history, wallet, devices, settings, English, and the service worker's notification.
 */

/** ¥50.00: above it the phone's fingerprint is needed. */
const THRESHOLD = 5000;

let browser: Browser;
let hub: TestHub;
let url: string;
let phoneCtx: BrowserContext;
let phone: Page;
let authenticator: VirtualAuthenticator;
let checkErrors: () => void;
let keyCounter = 0;

async function intent(body: Record<string, unknown>): Promise<Intent> {
  const response = await hub.api({
    method: 'POST',
    url: '/api/intents',
    headers: { 'idempotency-key': `e2e-${++keyCounter}` },
    payload: { payee: { id: 'mi_store', name: '小米商城' }, ...body },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json() as Intent;
}

async function hubIntent(id: string): Promise<Intent> {
  return (await hub.api({ method: 'GET', url: `/api/intents/${id}` })).json() as Intent;
}

function card(id: string) {
  return phone.locator(`article[data-intent="${id}"]`);
}

beforeAll(async () => {
  browser = await launchChromium();
  ({ hub, url } = await startWebHub({ payments: { biometricAbove: THRESHOLD } }));
  // A card to top up from, a speaker, and meters for the device and energy screens.
  const added = await hub.api({
    method: 'POST',
    url: '/api/funding-sources',
    payload: { kind: 'debit_card', number: '6222 0212 3456 7890 128', holder: '王芳' },
  });
  expect(added.statusCode, added.body).toBe(201);
  expect(
    (
      await hub.api({
        method: 'POST',
        url: '/api/devices',
        payload: { profile: 'homepay-speaker', name: '客厅音箱' },
      })
    ).statusCode,
  ).toBe(201);
  // A budget and a savings goal for the wallet screen.
  expect(
    (await hub.api({ method: 'PUT', url: '/api/budgets/pets', payload: { amount: 30_000 } })).statusCode,
  ).toBe(200);
  const goal = await hub.api({
    method: 'POST',
    url: '/api/goals',
    payload: { name: '暑假旅行', target: 500_000, targetDate: '2027-07-01' },
  });
  expect(goal.statusCode, goal.body).toBeLessThan(300);
  // Two meters with two readings each, for the energy screen's numbers and chart.
  const now = Date.now();
  for (const [name, watts, wh] of [
    ['冰箱', 85, 420],
    ['空调', 1350, 1850],
  ] as const) {
    const meter = await addDevice(hub, { profile: 'homepay-meter', name });
    const client = await connectClient(hub.mqttPort, { username: meter.username, password: meter.password });
    for (const [at, energyWh] of [
      [now - 30 * 60_000, 100_000],
      [now - 60_000, 100_000 + wh],
    ] as const) {
      await client.publishAsync(
        `homepay/meter/${meter.id}/reading`,
        JSON.stringify({ energyWh, powerW: watts, ts: new Date(at).toISOString() }),
        { qos: 1 },
      );
    }
    await eventually(async () => {
      const device = (await hub.api({ method: 'GET', url: `/api/devices/${meter.id}` })).json();
      return (device.energy?.todayWh ?? 0) > 0;
    });
    await client.endAsync();
  }
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await hub?.stop();
});

describe('the phone web app in chromium', () => {
  it('pairs a phone from the QR link the admin page shows, and turns on its fingerprint', async () => {
    const adminCtx = await browser.newContext({ viewport: { width: 800, height: 900 }, locale: 'zh-CN' });
    const admin = await adminCtx.newPage();
    const adminErrors = watchForErrors(admin);
    await open(admin, `${url}/admin`);
    // A person's login is the first form; the admin token is behind a link (admin-login.test.ts).
    await admin.click('#use-token');
    await admin.fill('#admin-token', hub.adminToken);
    await admin.click('#admin-sign-in button[type=submit]');
    await admin.click('#new-pairing');
    const qr = admin.locator('img.qr');
    await qr.waitFor();
    expect(await qr.evaluate((img) => Number(Reflect.get(img, 'naturalWidth')))).toBeGreaterThan(0);
    const link = await admin.locator('#pairing-link').getAttribute('href');
    expect(link).toMatch(new RegExp(`^${url}/pair\\?code=[2-9A-Z]{10}$`));
    await screenshot(admin, '01-admin-pairing-qr');

    phoneCtx = await phoneContext(browser);
    phone = await phoneCtx.newPage();
    checkErrors = watchForErrors(phone);
    authenticator = await addVirtualAuthenticator(phone);
    await open(phone, link as string);
    // The code is kept out of the address bar once the page has it.
    expect(new URL(phone.url()).search).toBe('');
    await phone.fill('#phone-name', '妈妈的手机');
    await screenshot(phone, '02-phone-pair');
    await phone.click('#pair-form button[type=submit]');
    await phone.locator('#paired').waitFor();
    await phone.click('#setup-biometric');
    await phone.locator('#paired .card-status.ok').waitFor();
    expect(await authenticator.credentials()).toHaveLength(1);
    await phone.click('#start');
    await phone.locator('[data-testid=available]').waitFor();

    // The admin sees the new phone and could remove it.
    await admin.reload();
    await admin.waitForSelector('body[data-ready="true"]');
    await expect.poll(() => admin.locator('#phones [data-phone]').count()).toBe(1);
    await screenshot(admin, '03-admin-phones');
    adminErrors();
    await adminCtx.close();

    const phones = (await hub.api({ method: 'GET', url: '/api/phones' })).json() as Array<{ name: string }>;
    expect(phones.map((p) => p.name)).toEqual(['妈妈的手机']);
  });

  it('tops up the wallet: the top-up appears live and the fingerprint approves it', async () => {
    await phone.click('#tabs a[href="/wallet"]');
    await phone.fill('#topup-amount', '500');
    await phone.click('.inline-form button[type=submit]');
    await phone.locator('.inline-form .card-status.ok').waitFor();
    await screenshot(phone, '04-wallet-topup');
    await phone.click('#tabs a[href="/"]');
    const [topup] = (
      await hub.api({ method: 'GET', url: '/api/intents?status=requires_approval' })
    ).json() as Intent[];
    await card(topup?.id as string)
      .locator('[data-action=approve]')
      .click();
    await expect.poll(async () => (await hubIntent(topup?.id as string)).status).toBe('succeeded');
    await expect.poll(() => phone.locator('[data-testid=available]').textContent()).toBe('¥500.00');
  });

  it('shows a new intent live, approves it with the fingerprint, and the balance drops', async () => {
    const order = await intent({
      amount: 8900,
      description: '两袋猫粮',
      fundingSourceId: undefined,
    });
    const live = card(order.id);
    await live.waitFor();
    await expect.poll(() => live.locator('.amount').textContent()).toBe('¥89.00');
    expect(await live.textContent()).toContain('小米商城');
    expect(await live.textContent()).toContain('超过 ¥50.00，需要验证指纹');
    await screenshot(phone, '05-home-pending');
    const before = (await authenticator.credentials())[0]?.signCount ?? 0;
    await live.locator('[data-action=approve]').click();
    await expect.poll(() => live.getAttribute('data-status')).toBe('succeeded');
    expect(await live.locator('.card-status').textContent()).toBe('已批准，¥89.00 已支付给 小米商城。');
    expect((await authenticator.credentials())[0]?.signCount).toBeGreaterThan(before);
    expect((await hubIntent(order.id)).status).toBe('succeeded');
    await expect.poll(() => phone.locator('[data-testid=available]').textContent()).toBe('¥411.00');
    await screenshot(phone, '06-home-approved');
  });

  it('denies an intent without asking for the fingerprint', async () => {
    const order = await intent({ amount: 3870, description: '一箱牛奶' });
    const live = card(order.id);
    await live.locator('[data-action=deny]').click();
    await expect.poll(() => live.getAttribute('data-status')).toBe('denied');
    expect(await live.locator('.card-status').textContent()).toBe('已拒绝，没有付款。');
    expect((await hubIntent(order.id)).status).toBe('denied');
    expect(await phone.locator('[data-testid=available]').textContent()).toBe('¥411.00');
  });

  it('refuses an approval above the threshold when the fingerprint is not verified, and pays nothing', async () => {
    await authenticator.failVerification(true);
    const order = await intent({ amount: 12900, description: '一袋狗粮' });
    const live = card(order.id);
    await live.locator('[data-action=approve]').click();
    await expect.poll(() => live.locator('.card-status.error').count()).toBe(1);
    expect(await live.locator('.card-status').textContent()).toMatch(/指纹验证(未通过|没有完成)，没有付款。/);
    expect(await live.getAttribute('data-status')).toBe('requires_approval');
    expect((await hubIntent(order.id)).status).toBe('requires_approval');
    expect(await phone.locator('[data-testid=available]').textContent()).toBe('¥282.00');
    await screenshot(phone, '07-home-refused');
    await authenticator.failVerification(false);
  });

  it('lists the history with filters', async () => {
    await phone.click('#tabs a[href="/history"]');
    await phone.locator('#history [data-intent]').first().waitFor();
    expect(await phone.locator('#history [data-status=succeeded]').count()).toBe(2);
    expect(await phone.locator('#history-summary').textContent()).toBe('共 4 笔，支出 ¥89.00，收入 ¥500.00');
    await screenshot(phone, '08-history');
    await phone.selectOption('#filter-status', 'denied');
    expect(await phone.locator('#history [data-intent]').count()).toBe(1);
    expect(await phone.locator('#history [data-intent] .amount').textContent()).toBe('-¥38.70');
    await phone.selectOption('#filter-status', '');
    await phone.selectOption('#filter-kind', 'topup');
    expect(await phone.locator('#history [data-intent] .amount').textContent()).toBe('+¥500.00');
  });

  it('shows the wallet, energy, devices and settings screens', async () => {
    for (const [tab, name, selector] of [
      ['/wallet', '09-wallet', '.balance'],
      ['/energy', '10-energy', '.section'],
      ['/devices', '11-devices', '#devices [data-device]'],
    ] as const) {
      await phone.click(`#tabs a[href="${tab}"]`);
      await phone.locator(selector).first().waitFor();
      await screenshot(phone, name);
    }
    expect(await phone.locator('#devices').textContent()).toContain('冰箱');
    await phone.click('#tabs a[href="/wallet"]');
    await phone.locator('main .balance').waitFor();
    expect(await phone.locator('main').textContent()).toContain('宠物');
    expect(await phone.locator('main').textContent()).toContain('已存 ¥0.00 / ¥5000.00');
    await phone.click('#tabs a[href="/energy"]');
    await phone.locator('svg.chart rect.chart-bar').first().waitFor();
    expect(await phone.locator('svg.chart rect.chart-bar').count()).toBe(2);
    expect(await phone.locator('main').textContent()).toContain('1.85 kWh');
    await phone.click('#top a.gear');
    await phone.locator('#biometric-state').waitFor();
    expect(await phone.locator('#biometric-state').textContent()).toBe('已开启（1 个凭据）');
    expect(await phone.textContent('main')).toContain('超过 ¥50.00 的付款需要验证指纹或面容。');
    expect(await phone.locator('[data-speaker]').textContent()).toBe(
      '下单：开；每单上限 ¥500.00；每日上限 ¥1000.00',
    );
    await screenshot(phone, '12-settings');
  });

  it('speaks English when asked, with amounts still as ¥38.70', async () => {
    await phone.click('#top button.lang');
    await phone.click('#tabs a[href="/"]');
    const order = await intent({ amount: 3870, description: 'Cat food, two bags' });
    const live = card(order.id);
    await live.waitFor();
    expect(await live.locator('[data-action=approve]').textContent()).toBe('Approve ¥38.70');
    expect(await phone.locator('#tabs').textContent()).toContain('History');
    await screenshot(phone, '13-home-english');
    await live.locator('[data-action=deny]').click();
    await expect.poll(() => live.getAttribute('data-status')).toBe('denied');
    await phone.click('#top button.lang');
  });

  it('opens the approval screen from a toast when an intent arrives elsewhere in the app', async () => {
    await phone.click('#tabs a[href="/devices"]');
    const order = await intent({ amount: 1200, description: '猫砂' });
    const toast = phone.locator(`#toasts a[href="/approve/${order.id}"]`);
    await toast.waitFor();
    await toast.click();
    await card(order.id).waitFor();
    expect(new URL(phone.url()).pathname).toBe(`/approve/${order.id}`);
    await screenshot(phone, '14-approve-screen');
    await card(order.id).locator('[data-action=approve]').click();
    await expect.poll(async () => (await hubIntent(order.id)).status).toBe('succeeded');
  });

  it('shows a Web Push as a notification worded in Chinese that opens the approval screen and cannot approve', async () => {
    await phoneCtx.grantPermissions(['notifications'], { origin: url });
    const cdp = await phoneCtx.newCDPSession(phone);
    await cdp.send('ServiceWorker.enable');
    const registrationId = await new Promise<string>((resolve) => {
      cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
        const ours = registrations.find((r) => r.scopeURL === `${url}/` && !r.isDeleted);
        if (ours) resolve(ours.registrationId);
      });
    });
    await phone.evaluate('navigator.serviceWorker.ready.then(() => true)');
    const order = await intent({ amount: 3870, description: '两袋猫粮' });
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: `${url}/`,
      registrationId,
      data: JSON.stringify({
        kind: 'approval_needed',
        intentId: order.id,
        title: 'Approve ¥38.70 to 小米商城?',
        body: '两袋猫粮. Open homepay on this phone to approve or deny.',
        url: `${url}/approve/${order.id}`,
        amount: 3870,
        currency: 'CNY',
        payeeName: '小米商城',
        description: '两袋猫粮',
        status: 'requires_approval',
      }),
    });
    let shown: Array<{ title: string; body: string; tag: string; actions: number; intentId: string }> = [];
    await eventually(async () => {
      shown = await phone.evaluate(`navigator.serviceWorker.ready
        .then((registration) => registration.getNotifications())
        .then((list) => list.map((n) => ({
          title: n.title, body: n.body, tag: n.tag, actions: (n.actions ?? []).length, intentId: n.data.intentId,
        })))`);
      return shown.length > 0;
    });
    expect(shown).toEqual([
      {
        title: '请确认：向小米商城支付 ¥38.70',
        body: '两袋猫粮\n打开 homepay 批准或拒绝。',
        tag: `intent-${order.id}`,
        actions: 0,
        intentId: order.id,
      },
    ]);
    expect((await hubIntent(order.id)).status).toBe('requires_approval');
  });

  it('tells the phone when the admin has removed it, and stops showing the money', async () => {
    await phone.click('#tabs a[href="/"]');
    await phone.locator('[data-testid=available]').waitFor();
    const [paired] = (await hub.api({ method: 'GET', url: '/api/phones' })).json() as Array<{ id: string }>;
    expect((await hub.api({ method: 'DELETE', url: `/api/phones/${paired?.id}` })).statusCode).toBe(200);
    await phone.locator('.welcome .error').waitFor();
    expect(await phone.locator('.welcome').textContent()).toContain('这部手机已被管理员移除');
    expect(await phone.locator('[data-testid=available]').count()).toBe(0);
    await screenshot(phone, '15-revoked');
  });

  it('caused no script errors and no CSP violations on the phone', () => {
    checkErrors();
  });
});
