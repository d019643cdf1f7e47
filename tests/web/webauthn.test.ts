import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalFieldsOf, buildApprovalMessage } from '../../src/confirm/approval-message.js';
import { approvalChallenge } from '../../src/confirm/webauthn.js';
import type { Intent } from '../../src/payments/intent.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { createIntent, fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';
import { SoftAuthenticator } from './soft-authenticator.js';

const ORIGIN = 'http://localhost:8080';
/** ¥500.00: above it an approval needs the fingerprint. */
const THRESHOLD = 50_000;

let hub: TestHub;
let phone: TestPhone;
let other: TestPhone;
let authenticator: SoftAuthenticator;

beforeAll(async () => {
  hub = await startHub({ overrides: { payments: { biometricAbove: THRESHOLD } } });
  phone = await pairPhone(hub, '妈妈的手机');
  other = await pairPhone(hub, 'Kitchen tablet');
  // Refused intents keep their holds until they expire: top up (each under the threshold) enough for all.
  for (let i = 0; i < 24; i++) await fundWallet(hub, phone, 45_000);
  authenticator = await register(phone, ORIGIN);
});
afterAll(async () => {
  await hub.stop();
});

async function register(who: TestPhone, origin: string, options: { userVerified?: boolean } = {}) {
  const soft = new SoftAuthenticator(origin);
  const started = await hub.api({
    method: 'POST',
    url: `/api/phones/${who.phoneId}/webauthn/registration-options`,
    token: who.token,
    headers: { origin },
  });
  expect(started.statusCode, started.body).toBe(200);
  const finished = await hub.api({
    method: 'POST',
    url: `/api/phones/${who.phoneId}/webauthn/credentials`,
    token: who.token,
    headers: { origin },
    payload: { response: soft.register(started.json(), options), name: 'Pixel fingerprint' },
  });
  if (options.userVerified !== false) expect(finished.statusCode, finished.body).toBe(201);
  Object.assign(soft, { lastResponse: finished });
  return soft;
}

function message(intent: Intent, action: 'approve' | 'deny', phoneId = phone.phoneId) {
  return buildApprovalMessage(approvalFieldsOf(intent, action, phoneId));
}

function approve(intent: Intent, webauthn?: unknown, who = phone) {
  return hub.api({
    method: 'POST',
    url: `/api/intents/${intent.id}/approve`,
    token: who.token,
    payload: {
      phoneId: who.phoneId,
      signature: who.sign(intent, 'approve'),
      ...(webauthn ? { webauthn } : {}),
    },
  });
}

async function wallet() {
  return (await hub.api({ method: 'GET', url: '/api/wallet' })).json() as {
    balance: number;
    available: number;
  };
}

/** A refused approval leaves the intent waiting and the wallet as it was. */
async function expectRefused(intent: Intent, webauthn: unknown, code: string) {
  const before = await wallet();
  const response = await approve(intent, webauthn);
  expect(response.statusCode, response.body).toBe(403);
  expect(response.json()).toMatchObject({ error: { code } });
  expect((await hub.api({ method: 'GET', url: `/api/intents/${intent.id}` })).json()).toMatchObject({
    status: 'requires_approval',
  });
  expect(await wallet()).toEqual(before);
}

describe('WebAuthn for approvals above payments.biometricAbove', () => {
  it('registers a platform credential with user verification, bound to the phone and its origin', async () => {
    const listed = await hub.api({
      method: 'GET',
      url: `/api/phones/${phone.phoneId}/webauthn/credentials`,
      token: phone.token,
    });
    expect(listed.json()).toEqual([
      expect.objectContaining({
        id: authenticator.id,
        phoneId: phone.phoneId,
        name: 'Pixel fingerprint',
        rpId: 'localhost',
        origin: ORIGIN,
      }),
    ]);
    expect(listed.body).not.toContain('publicKey');
    const config = await hub.api({ method: 'GET', url: '/api/web/config', token: phone.token });
    expect(config.json()).toMatchObject({
      role: 'phone',
      phone: { id: phone.phoneId, name: '妈妈的手机' },
      biometricAbove: THRESHOLD,
      allowCredentials: [{ id: authenticator.id, type: 'public-key', transports: ['internal'] }],
    });
  });

  it('asks the browser for user verification by the phone itself, excluding credentials it already has', async () => {
    const options = await hub.api({
      method: 'POST',
      url: `/api/phones/${phone.phoneId}/webauthn/registration-options`,
      token: phone.token,
      headers: { origin: ORIGIN },
    });
    expect(options.json()).toMatchObject({
      rp: { id: 'localhost', name: 'homepay' },
      authenticatorSelection: { userVerification: 'required', authenticatorAttachment: 'platform' },
      excludeCredentials: [{ id: authenticator.id }],
    });
  });

  it('approves an intent above the threshold with an assertion whose challenge is SHA-256 of the v1 message', async () => {
    const intent = await createIntent(hub, { amount: 60_000, description: '扫地机器人' });
    const before = await wallet();
    const response = await approve(
      intent,
      authenticator.assert(approvalChallenge(message(intent, 'approve'))),
    );
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ status: 'succeeded', decidedBy: phone.phoneId });
    expect((await wallet()).balance).toBe(before.balance - 60_000);
    const [credential] = (
      await hub.api({ method: 'GET', url: `/api/phones/${phone.phoneId}/webauthn/credentials` })
    ).json() as Array<{ lastUsedAt: string | null }>;
    expect(credential?.lastUsedAt).not.toBeNull();
  });

  it('refuses an approval above the threshold that carries no assertion (biometric_required)', async () => {
    const intent = await createIntent(hub, { amount: 50_001 });
    await expectRefused(intent, undefined, 'biometric_required');
  });

  it('still approves at the threshold itself without one', async () => {
    const intent = await createIntent(hub, { amount: THRESHOLD });
    expect((await approve(intent)).json()).toMatchObject({ status: 'succeeded' });
  });

  it('refuses an assertion made without user verification (the fingerprint did not match)', async () => {
    const intent = await createIntent(hub, { amount: 60_000 });
    const assertion = authenticator.assert(approvalChallenge(message(intent, 'approve')), {
      userVerified: false,
    });
    await expectRefused(intent, assertion, 'biometric_failed');
  });

  it('refuses an assertion over another message: the deny message, another amount, another intent', async () => {
    const intent = await createIntent(hub, { amount: 60_000 });
    const elsewhere = await createIntent(hub, { amount: 60_000 });
    for (const wrong of [
      message(intent, 'deny'),
      message({ ...intent, amount: 100 }, 'approve'),
      message({ ...intent, payee: { id: 'evil', name: 'x' } }, 'approve'),
      message(elsewhere, 'approve'),
      message(intent, 'approve', other.phoneId),
    ]) {
      await expectRefused(intent, authenticator.assert(approvalChallenge(wrong)), 'biometric_failed');
    }
  });

  it('refuses a credential another phone registered, and an unknown one', async () => {
    const theirs = await register(other, ORIGIN);
    const intent = await createIntent(hub, { amount: 60_000 });
    const challenge = approvalChallenge(message(intent, 'approve'));
    await expectRefused(intent, theirs.assert(challenge), 'biometric_failed');
    await expectRefused(intent, new SoftAuthenticator(ORIGIN).assert(challenge), 'biometric_failed');
  });

  it('refuses a signature counter that did not move forward (a replay or a cloned authenticator)', async () => {
    const intent = await createIntent(hub, { amount: 60_000 });
    const challenge = approvalChallenge(message(intent, 'approve'));
    await expectRefused(intent, authenticator.assert(challenge, { counter: 1 }), 'biometric_failed');
  });

  it('refuses an assertion made on another origin or for another RP ID', async () => {
    const intent = await createIntent(hub, { amount: 60_000 });
    const challenge = approvalChallenge(message(intent, 'approve'));
    await expectRefused(
      intent,
      authenticator.assert(challenge, { origin: 'https://evil.example' }),
      'biometric_failed',
    );
    await expectRefused(
      intent,
      authenticator.assert(challenge, { rpId: 'evil.example' }),
      'biometric_failed',
    );
  });

  it('refuses a malformed assertion with a 4xx, never a 500', async () => {
    const intent = await createIntent(hub, { amount: 60_000 });
    await expectRefused(intent, { id: authenticator.id }, 'biometric_failed');
    const assertion = authenticator.assert(approvalChallenge(message(intent, 'approve')));
    await expectRefused(
      intent,
      { ...assertion, response: { ...assertion.response, signature: 'AAAA' } },
      'biometric_failed',
    );
  });

  it('checks an assertion sent below the threshold too (a phone that asks every time)', async () => {
    const intent = await createIntent(hub, { amount: 3870 });
    const assertion = authenticator.assert(approvalChallenge(message(intent, 'deny')));
    await expectRefused(intent, assertion, 'biometric_failed');
    const good = authenticator.assert(approvalChallenge(message(intent, 'approve')));
    expect((await approve(intent, good)).json()).toMatchObject({ status: 'succeeded' });
  });
});

describe('WebAuthn registration', () => {
  it('lets a phone register only for itself', async () => {
    const response = await hub.api({
      method: 'POST',
      url: `/api/phones/${phone.phoneId}/webauthn/registration-options`,
      token: other.token,
      headers: { origin: ORIGIN },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ error: { code: 'phone_mismatch' } });
  });

  it('refuses an origin that is not a secure context (plain http on the LAN)', async () => {
    const response = await hub.api({
      method: 'POST',
      url: `/api/phones/${phone.phoneId}/webauthn/registration-options`,
      token: phone.token,
      headers: { origin: 'http://192.168.1.20:8080' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toMatch(/HTTPS/);
  });

  it('refuses a registration without user verification, or with no ceremony started', async () => {
    const soft = await register(other, ORIGIN, { userVerified: false });
    const refused = (soft as unknown as { lastResponse: { statusCode: number; json(): unknown } })
      .lastResponse;
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ error: { code: 'webauthn_registration_failed' } });
    const unasked = await hub.api({
      method: 'POST',
      url: `/api/phones/${other.phoneId}/webauthn/credentials`,
      token: other.token,
      headers: { origin: ORIGIN },
      payload: { response: new SoftAuthenticator(ORIGIN).register({ challenge: 'made-up' }) },
    });
    expect(unasked.json()).toMatchObject({ error: { code: 'webauthn_registration_failed' } });
  });

  it('forgets a credential on request, after which approvals above the threshold need another', async () => {
    const extra = await register(phone, ORIGIN);
    const removed = await hub.api({
      method: 'DELETE',
      url: `/api/phones/${phone.phoneId}/webauthn/credentials/${extra.id}`,
      token: phone.token,
    });
    expect(removed.statusCode).toBe(200);
    const intent = await createIntent(hub, { amount: 60_000 });
    await expectRefused(
      intent,
      extra.assert(approvalChallenge(message(intent, 'approve'))),
      'biometric_failed',
    );
  });
});
