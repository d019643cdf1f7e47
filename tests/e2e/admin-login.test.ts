import { type TOTP, URI } from 'otpauth';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from '../helpers/hub.js';
import { pairPhone, type TestPhone } from '../helpers/phone.js';
import {
  addVirtualAuthenticator,
  launchChromium,
  open,
  screenshot,
  startWebHub,
  watchForErrors,
} from './browser.js';

/**
 * The admin page in a real browser: a person signs in with username, password and the code of an
 * authenticator app (an HttpOnly session cookie, and the CSRF token on every change), does
 * everything the page does, signs out; and the admin token, the way in for a fresh hub, from which
 * the page creates a login for a person and shows its enrolment QR code once.
 *
 * The hub refuses a TOTP code it has already accepted (and any older one), so each successful login
 * here is a different person, with a code from the current 30-second step.
 */

const PASSWORD = '北京 correct horse battery staple';

let browser: Browser;
let hub: TestHub;
let url: string;
let context: BrowserContext;
let page: Page;
let checkErrors: () => void;
const people = new Map<string, TOTP>();
const phones: TestPhone[] = [];
/** The enrolment URI the page showed for the person it created. */
let shownUri = '';

async function createPerson(username: string): Promise<void> {
  const created = await hub.api({
    method: 'POST',
    url: '/api/admin/users',
    payload: { username, password: PASSWORD },
  });
  expect(created.statusCode, created.body).toBe(201);
  people.set(username, URI.parse(created.json().totpUri) as TOTP);
}

/** A code from the current step, waiting for the next one if this step is about to end. */
async function freshCode(totp: TOTP): Promise<string> {
  const left = totp.period * 1000 - (Date.now() % (totp.period * 1000));
  if (left < 3000) await new Promise((resolve) => setTimeout(resolve, left + 100));
  return totp.generate({ timestamp: Date.now() });
}

/** Six digits that are not the code of this step nor of either neighbour the hub also accepts. */
function wrongCode(totp: TOTP): string {
  const near = [-1, 0, 1].map((step) => totp.generate({ timestamp: Date.now() + step * totp.period * 1000 }));
  let candidate = Number(near[1]);
  do candidate = (candidate + 314_159) % 1_000_000;
  while (near.includes(String(candidate).padStart(6, '0')));
  return String(candidate).padStart(6, '0');
}

async function fillLogin(username: string, code: string): Promise<void> {
  await page.fill('#admin-username', username);
  await page.fill('#admin-password', PASSWORD);
  await page.fill('#admin-code', code);
  await page.click('#admin-login button[type=submit]');
}

async function sessionCookie(): Promise<string | undefined> {
  return (await context.cookies()).find((cookie) => cookie.name === 'homepay_session')?.value;
}

function phonesWith(cookie: string) {
  return hub.hub.http.inject({
    method: 'GET',
    url: '/api/phones',
    headers: { cookie: `homepay_session=${cookie}` },
  });
}

async function tabStorage(): Promise<{ session: Record<string, string>; local: Record<string, string> }> {
  return page.evaluate(
    '({ session: Object.fromEntries(Object.entries(sessionStorage)), local: Object.fromEntries(Object.entries(localStorage)) })',
  );
}

beforeAll(async () => {
  browser = await launchChromium();
  ({ hub, url } = await startWebHub());
  for (const name of ['mama', 'nana', 'yeye', 'gege']) await createPerson(name);
  for (const name of ['妈妈的手机', '旧手机', '爸爸的手机']) phones.push(await pairPhone(hub, name));
  context = await browser.newContext({ viewport: { width: 800, height: 900 }, locale: 'zh-CN' });
  page = await context.newPage();
  checkErrors = watchForErrors(page);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await hub?.stop();
});

describe('the admin page signs people in with password and authenticator code', () => {
  it('asks for username, password and the one-time code, with the admin token behind a link', async () => {
    await open(page, `${url}/admin`);
    await page.locator('#admin-login').waitFor();
    expect(await page.getAttribute('#admin-username', 'autocomplete')).toBe('username');
    expect(await page.getAttribute('#admin-password', 'type')).toBe('password');
    expect(await page.getAttribute('#admin-password', 'autocomplete')).toBe('current-password');
    expect(await page.getAttribute('#admin-code', 'inputmode')).toBe('numeric');
    expect(await page.getAttribute('#admin-code', 'autocomplete')).toBe('one-time-code');
    expect(await page.locator('#admin-login').textContent()).toContain('验证码');
    expect(await page.locator('#use-token').textContent()).toBe('使用管理员令牌');
    await screenshot(page, 'admin-01-login');
  });

  it('says a wrong code is wrong, in Chinese and in English, and signs nobody in', async () => {
    const totp = people.get('mama') as TOTP;
    await fillLogin('mama', wrongCode(totp));
    const problem = page.locator('#admin-login [role=alert]');
    await expect.poll(() => problem.textContent()).toBe('用户名、密码或验证码不对。');
    expect(await page.inputValue('#admin-code')).toBe('');
    await screenshot(page, 'admin-02-wrong-code');
    expect(await sessionCookie()).toBeUndefined();

    await page.click('#top button.lang');
    await page.locator('#admin-login').waitFor();
    await fillLogin('mama', wrongCode(totp));
    await expect.poll(() => problem.textContent()).toBe('Wrong username, password or code.');
    await page.click('#top button.lang');
    await page.locator('#admin-login').waitFor();
    expect((await tabStorage()).session).toEqual({});
  });

  it('signs in with the code into an HttpOnly cookie, keeps only the CSRF token in the tab, and lists the phones', async () => {
    await fillLogin('mama', await freshCode(people.get('mama') as TOTP));
    await expect.poll(() => page.locator('#phones [data-phone]').count()).toBe(3);
    expect(await page.locator('#signed-in').textContent()).toBe('已登录：mama');

    const cookie = (await context.cookies()).find((c) => c.name === 'homepay_session');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(await page.evaluate<string>('document.cookie')).not.toContain('homepay_session');
    const { session, local } = await tabStorage();
    expect(Object.keys(session)).toEqual(['homepay.adminLogin']);
    expect(Object.keys(JSON.parse(session['homepay.adminLogin'] as string)).sort()).toEqual([
      'csrfToken',
      'username',
    ]);
    for (const value of [...Object.values(session), ...Object.values(local), page.url()]) {
      expect(value).not.toContain(PASSWORD);
      expect(value).not.toContain(hub.adminToken);
      expect(value).not.toContain(cookie?.value as string);
    }
    expect(Object.keys(local).some((key) => key.includes('admin'))).toBe(false);
    expect(new URL(page.url()).search).toBe('');
    expect(await page.locator('#new-person').count()).toBe(0);
    await screenshot(page, 'admin-03-signed-in');
  });

  it('makes a pairing QR code and revokes a phone, each change carrying the CSRF token and no bearer token', async () => {
    const changes: Array<Record<string, string>> = [];
    page.on('request', async (request) => {
      if (request.method() !== 'GET') changes.push(await request.allHeaders());
    });
    await page.click('#new-pairing');
    const qr = page.locator('#pairing img.qr');
    await qr.waitFor();
    expect(await qr.evaluate((img) => Number(Reflect.get(img, 'naturalWidth')))).toBeGreaterThan(0);
    expect(await page.locator('#pairing-link').getAttribute('href')).toMatch(/\/pair\?code=[2-9A-Z]{10}$/);
    await screenshot(page, 'admin-04-pairing-qr');

    const old = phones[1] as TestPhone;
    const revoke = page.locator(`[data-phone="${old.phoneId}"] [data-revoke]`);
    await revoke.click();
    await revoke.click();
    await page.locator(`[data-phone="${old.phoneId}"] .badge`).waitFor();
    const listed = (await hub.api({ method: 'GET', url: '/api/phones' })).json() as Array<{
      id: string;
      revokedAt: string | null;
    }>;
    expect(listed.find((p) => p.id === old.phoneId)?.revokedAt).toBeTruthy();
    expect(listed.filter((p) => p.revokedAt)).toHaveLength(1);

    const { csrfToken } = JSON.parse((await tabStorage()).session['homepay.adminLogin'] as string);
    expect(changes).toHaveLength(2);
    for (const headers of changes) {
      expect(headers['x-csrf-token']).toBe(csrfToken);
      expect(headers.authorization).toBeUndefined();
      expect(headers.cookie).toContain('homepay_session=');
    }
    page.removeAllListeners('request');
  });

  it('signs out: the hub ends the session, the cookie no longer works, and the form is back', async () => {
    const cookie = (await sessionCookie()) as string;
    expect((await phonesWith(cookie)).statusCode).toBe(200);
    await page.click('#admin-sign-out');
    await page.locator('#admin-login').waitFor();
    expect((await phonesWith(cookie)).statusCode).toBe(401);
    expect(await sessionCookie()).toBeUndefined();
    expect((await tabStorage()).session).toEqual({});
  });

  it('returns to the form with a message when the session has ended at the hub', async () => {
    await fillLogin('nana', await freshCode(people.get('nana') as TOTP));
    await page.locator('#phones [data-phone]').first().waitFor();
    expect(await page.locator('#signed-in').textContent()).toBe('已登录：nana');
    // The session ends elsewhere (it expired, or was logged out in another tab).
    const cookie = (await sessionCookie()) as string;
    const { csrfToken } = JSON.parse((await tabStorage()).session['homepay.adminLogin'] as string);
    const ended = await hub.hub.http.inject({
      method: 'POST',
      url: '/api/admin/logout',
      headers: { cookie: `homepay_session=${cookie}`, 'x-csrf-token': csrfToken },
    });
    expect(ended.statusCode).toBe(204);
    await page.click('#new-pairing');
    await page.locator('#admin-login').waitFor();
    expect(await page.locator('#admin-login [role=alert]').textContent()).toBe('登录已过期，请重新登录。');
    expect((await tabStorage()).session).toEqual({});
    await screenshot(page, 'admin-05-session-ended');
  });

  it('says so when the browser did not keep the login cookie, instead of a form that silently comes back', async () => {
    // What a browser that keeps no Secure cookie on plain HTTP does: the login answer's cookie is lost.
    await page.route('**/api/admin/login', async (route) => {
      const response = await route.fetch();
      // route.fetch shares the context's cookie jar, which has just taken the cookie: drop it again.
      await context.clearCookies({ name: 'homepay_session' });
      const headers = { ...response.headers() };
      delete headers['set-cookie'];
      await route.fulfill({ response, headers });
    });
    try {
      await fillLogin('yeye', await freshCode(people.get('yeye') as TOTP));
      await expect
        .poll(() => page.locator('#admin-login [role=alert]').textContent())
        .toContain('浏览器没有保存登录');
      expect((await tabStorage()).session).toEqual({});
    } finally {
      await page.unroute('**/api/admin/login');
    }
  });
});

describe('a security key instead of the code', () => {
  it('registers a key for the signed-in person, who then signs in with password and key alone', async () => {
    // The computer's own unlock (or a USB key) with user verification, as CDP's virtual authenticator.
    const authenticator = await addVirtualAuthenticator(page);
    await fillLogin('gege', await freshCode(people.get('gege') as TOTP));
    await page.locator('#security-keys .empty').waitFor();
    expect(await page.locator('#admin-use-key').count()).toBe(0);
    await page.fill('#security-key-name', '书房电脑指纹');
    await page.click('#new-security-key button[type=submit]');
    await page.locator('#security-keys [data-key]').waitFor();
    expect(await page.locator('#new-security-key .card-status.ok').textContent()).toBe('安全密钥已添加。');
    expect(await page.locator('#security-keys [data-key] strong').textContent()).toBe('书房电脑指纹');
    const [credential] = await authenticator.credentials();
    expect(await page.locator('#security-keys [data-key]').getAttribute('data-key')).toBe(
      credential?.credentialId.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
    );
    await page.locator('#security-keys').evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await screenshot(page, 'admin-08-security-key-added');

    await page.click('#admin-sign-out');
    await page.locator('#admin-login').waitFor();
    expect(await page.locator('#admin-use-key').textContent()).toBe('使用安全密钥');
    await page.fill('#admin-username', 'gege');
    await page.fill('#admin-password', PASSWORD);
    await page.click('#admin-use-key');
    await expect.poll(() => page.locator('#signed-in').textContent()).toBe('已登录：gege');
    expect((await authenticator.credentials())[0]?.signCount).toBeGreaterThan(0);
    const cookie = (await sessionCookie()) as string;
    expect((await phonesWith(cookie)).statusCode).toBe(200);
    await expect
      .poll(() => page.locator('#security-keys [data-key] .row-sub').textContent())
      .toContain('上次使用');
    expect(JSON.stringify(await tabStorage())).not.toContain(PASSWORD);

    // Removed, the key no longer signs in; the code still does.
    const remove = page.locator('#security-keys [data-remove-key]');
    await remove.click();
    await remove.click();
    await page.locator('#security-keys .empty').waitFor();
    await page.click('#admin-sign-out');
    await page.locator('#admin-login').waitFor();
    await page.fill('#admin-username', 'gege');
    await page.fill('#admin-password', PASSWORD);
    await page.click('#admin-use-key');
    await expect
      .poll(() => page.locator('#admin-login [role=alert]').textContent())
      .toBe('这个账号在这里还没有安全密钥，请用验证码登录。');
    expect(await sessionCookie()).toBeUndefined();
    await authenticator.cdp.send('WebAuthn.removeVirtualAuthenticator', {
      authenticatorId: authenticator.id,
    });
  });
});

describe('the admin token, the way in for a fresh hub', () => {
  it('signs in with the token, lists and revokes phones and makes a pairing QR code', async () => {
    await page.click('#use-token');
    await page.locator('#admin-sign-in').waitFor();
    await screenshot(page, 'admin-06-token');
    await page.fill('#admin-token', hub.adminToken);
    await page.click('#admin-sign-in button[type=submit]');
    await expect.poll(() => page.locator('#phones [data-phone]').count()).toBe(3);
    expect(await page.locator('#signed-in').textContent()).toBe('已用管理员令牌进入');
    expect(Object.keys((await tabStorage()).session)).toEqual(['homepay.adminToken']);
    expect(Object.values((await tabStorage()).local)).not.toContain(hub.adminToken);

    await page.click('#new-pairing');
    await page.locator('#pairing img.qr').waitFor();
    const dad = phones[2] as TestPhone;
    const revoke = page.locator(`[data-phone="${dad.phoneId}"] [data-revoke]`);
    await revoke.click();
    await revoke.click();
    await page.locator(`[data-phone="${dad.phoneId}"] .badge`).waitFor();
    const listed = (await hub.api({ method: 'GET', url: '/api/phones' })).json() as Array<{
      id: string;
      revokedAt: string | null;
    }>;
    expect(listed.find((p) => p.id === dad.phoneId)?.revokedAt).toBeTruthy();
  });

  it('creates a login for a person and shows the authenticator enrolment once, as a QR code and its address', async () => {
    await page.fill('#person-username', 'papa');
    await page.fill('#person-password', PASSWORD);
    await page.click('#new-person button[type=submit]');
    const qr = page.locator('#enrolment-qr');
    await qr.waitFor();
    expect(await qr.evaluate((img) => Number(Reflect.get(img, 'naturalWidth')))).toBeGreaterThan(0);
    shownUri = (await page.locator('#totp-uri').textContent()) ?? '';
    expect(shownUri).toMatch(/^otpauth:\/\/totp\/homepay:papa\?.*secret=[A-Z2-7]+/);
    expect(await page.inputValue('#person-password')).toBe('');
    expect(await page.locator('#enrolment').textContent()).toContain('二维码只显示这一次');
    await page.locator('#enrolment').evaluate((el) => el.scrollIntoView({ block: 'end' }));
    await screenshot(page, 'admin-07-enrolment');
    // Shown once: the secret is in neither storage, and a second person of that name is refused.
    const { session, local } = await tabStorage();
    expect(JSON.stringify({ session, local })).not.toContain((URI.parse(shownUri) as TOTP).secret.base32);
    await page.fill('#person-username', 'papa');
    await page.fill('#person-password', PASSWORD);
    await page.click('#new-person button[type=submit]');
    await expect.poll(() => page.locator('#new-person .card-status.error').count()).toBe(1);
    expect(await page.locator('#enrolment-qr').count()).toBe(0);

    await page.click('#admin-sign-out');
    await page.locator('#admin-sign-in').waitFor();
    expect((await tabStorage()).session).toEqual({});
  });

  it('lets the person just created sign in with a code from that enrolment, also at http://127.0.0.1', async () => {
    // Chromium keeps a Secure cookie on http://localhost and http://127.0.0.1 (both secure contexts).
    const loopback = url.replace('//localhost:', '//127.0.0.1:');
    await open(page, `${loopback}/admin`);
    await fillLogin('papa', await freshCode(URI.parse(shownUri) as TOTP));
    await expect.poll(() => page.locator('#phones [data-phone]').count()).toBe(3);
    expect(await page.locator('#signed-in').textContent()).toBe('已登录：papa');
    await page.click('#admin-sign-out');
    await page.locator('#admin-login').waitFor();
  });

  it('never wrote the password, the admin token, a session cookie or a CSRF token to the log', () => {
    const logged = JSON.stringify(hub.logs);
    expect(logged).not.toContain(PASSWORD);
    expect(logged).not.toContain(hub.adminToken);
    expect(logged).not.toContain('homepay_session=');
    expect(logged).not.toMatch(/csrf/i);
  });

  it('caused no script errors and no CSP violations', () => {
    checkErrors();
  });
});
