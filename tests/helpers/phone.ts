import nacl from 'tweetnacl';
import {
  approvalFieldsOf,
  buildApprovalMessage,
  signApprovalMessage,
} from '../../src/confirm/approval-message.js';
import type { Intent } from '../../src/payments/intent.js';
import type { TestHub } from './hub.js';

export interface TestPhone {
  phoneId: string;
  token: string;
  keyPair: nacl.SignKeyPair;
  /** A v1 signature of `action` on `intent`, with fields overridable to forge wrong ones. */
  sign(
    intent: Intent,
    action: 'approve' | 'deny',
    override?: Partial<Parameters<typeof buildApprovalMessage>[0]>,
  ): string;
}

/** Pairs a phone over the real HTTP routes: a pairing code from the admin, then POST /api/phones. */
export async function pairPhone(hub: TestHub, name = 'Test phone'): Promise<TestPhone> {
  const pairing = await hub.api({ method: 'POST', url: '/api/pairing' });
  const { code } = pairing.json() as { code: string };
  const keyPair = nacl.sign.keyPair();
  const paired = await hub.api({
    method: 'POST',
    url: '/api/phones',
    token: null,
    payload: { code, name, publicKey: Buffer.from(keyPair.publicKey).toString('base64') },
  });
  if (paired.statusCode !== 201) throw new Error(`pairing failed: ${paired.body}`);
  const { phoneId, token } = paired.json() as { phoneId: string; token: string };
  return {
    phoneId,
    token,
    keyPair,
    sign(intent, action, override = {}) {
      const message = buildApprovalMessage({ ...approvalFieldsOf(intent, action, phoneId), ...override });
      return signApprovalMessage(message, keyPair.secretKey);
    },
  };
}

/** Approves or denies over HTTP as this phone. */
export function decide(
  hub: TestHub,
  phone: TestPhone,
  intent: Intent,
  action: 'approve' | 'deny',
  signature?: string,
) {
  return hub.api({
    method: 'POST',
    url: `/api/intents/${intent.id}/${action}`,
    token: phone.token,
    payload: { phoneId: phone.phoneId, signature: signature ?? phone.sign(intent, action) },
  });
}

let keyCounter = 0;

/** Creates an intent over HTTP as the admin, with a fresh idempotency key. */
export async function createIntent(hub: TestHub, body: Record<string, unknown> = {}): Promise<Intent> {
  const response = await hub.api({
    method: 'POST',
    url: '/api/intents',
    headers: { 'idempotency-key': `test-${process.pid}-${++keyCounter}` },
    payload: { amount: 8900, payee: { id: 'mi_store', name: '小米商城' }, description: '两袋猫粮', ...body },
  });
  if (response.statusCode !== 201) throw new Error(`intent create failed: ${response.body}`);
  return response.json() as Intent;
}

/** Puts money in the wallet the way a household does: a top-up intent approved by the phone. */
export async function fundWallet(hub: TestHub, phone: TestPhone, amount: number): Promise<void> {
  const card = await hub.api({
    method: 'POST',
    url: '/api/funding-sources',
    payload: { kind: 'debit_card', number: '6222 0212 3456 7890 128', holder: 'Test' },
  });
  if (card.statusCode !== 201) throw new Error(`card add failed: ${card.body}`);
  const topup = await hub.api({
    method: 'POST',
    url: '/api/wallet/topups',
    headers: { 'idempotency-key': `fund-${process.pid}-${++keyCounter}` },
    payload: { amount, fundingSourceId: (card.json() as { id: string }).id },
  });
  const approved = await decide(hub, phone, topup.json() as Intent, 'approve');
  if ((approved.json() as Intent).status !== 'succeeded') throw new Error(`top-up failed: ${approved.body}`);
}
