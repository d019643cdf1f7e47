import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import {
  approvalFieldsOf,
  buildApprovalMessage,
  decodeBase64Exact,
  signApprovalMessage,
  verifyApprovalSignature,
} from '../../src/confirm/approval-message.js';

/**
 * Vectors computed independently: the message text is written out by hand from SPEC, and the
 * expected signature comes from Node's own Ed25519 (OpenSSL), not from tweetnacl, over a key made
 * from the same fixed 32-byte seed.
 */
const SEED = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
// PKCS#8 wrapper for a raw Ed25519 seed (RFC 8410): the DER prefix, then the 32 bytes.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const nodeKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, SEED]), format: 'der', type: 'pkcs8' });
const nodePublicRaw = createPublicKey(nodeKey).export({ format: 'der', type: 'spki' }).subarray(-32);

const fields = {
  intentId: 'pi_4k2j9x0q1m7c3b5n',
  action: 'approve' as const,
  amount: 8900,
  currency: 'CNY',
  payeeId: 'mi_store',
  challenge: 'cNk3b1o2dW5kZXJzdGFuZGluZw',
  expiresAt: '2026-11-27T08:10:00.000Z',
  phoneId: 'ph_7hq2xk0a9d8f7g6s',
};

const HAND_WRITTEN =
  'homepay-approval-v1\npi_4k2j9x0q1m7c3b5n\napprove\n8900\nCNY\nmi_store\ncNk3b1o2dW5kZXJzdGFuZGluZw\n2026-11-27T08:10:00.000Z\nph_7hq2xk0a9d8f7g6s';

describe('approval message v1', () => {
  it('is the SPEC lines joined by newlines, with no trailing newline', () => {
    expect(buildApprovalMessage(fields)).toBe(HAND_WRITTEN);
  });

  it('takes its fields from an intent as the hub sends it', () => {
    const intent = {
      id: 'pi_4k2j9x0q1m7c3b5n',
      amount: 8900,
      currency: 'CNY',
      payee: { id: 'mi_store', name: '小米商城' },
      challenge: 'cNk3b1o2dW5kZXJzdGFuZGluZw',
      expiresAt: '2026-11-27T08:10:00.000Z',
      status: 'requires_approval',
    };
    expect(buildApprovalMessage(approvalFieldsOf(intent, 'approve', 'ph_7hq2xk0a9d8f7g6s'))).toBe(
      HAND_WRITTEN,
    );
    expect(approvalFieldsOf(intent, 'deny', 'ph_x')).toEqual({ ...fields, action: 'deny', phoneId: 'ph_x' });
  });

  it('is signed by tweetnacl exactly as Node’s Ed25519 signs it (RFC 8032 test key 1)', () => {
    const keyPair = nacl.sign.keyPair.fromSeed(SEED);
    // RFC 8032 section 7.1, TEST 1: this seed's public key.
    expect(Buffer.from(keyPair.publicKey).toString('hex')).toBe(
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    );
    expect(Buffer.from(keyPair.publicKey)).toEqual(nodePublicRaw);
    const expected = nodeSign(null, Buffer.from(HAND_WRITTEN, 'utf8'), nodeKey).toString('base64');
    expect(signApprovalMessage(buildApprovalMessage(fields), keyPair.secretKey)).toBe(expected);
  });

  it('verifies a signature made by Node, and refuses it for any other line', () => {
    const signature = nodeSign(null, Buffer.from(HAND_WRITTEN, 'utf8'), nodeKey).toString('base64');
    const publicKey = nodePublicRaw.toString('base64');
    expect(verifyApprovalSignature(HAND_WRITTEN, signature, publicKey)).toBe(true);
    for (const change of [
      { action: 'deny' as const },
      { amount: 8901 },
      { currency: 'USD' },
      { payeeId: 'mi_store2' },
      { challenge: 'other' },
      { expiresAt: '2026-11-27T08:10:00.001Z' },
      { phoneId: 'ph_other' },
      { intentId: 'pi_other' },
    ]) {
      const message = buildApprovalMessage({ ...fields, ...change });
      expect(verifyApprovalSignature(message, signature, publicKey)).toBe(false);
      // And Node agrees that it is a different message.
      expect(
        nodeVerify(null, Buffer.from(message), createPublicKey(nodeKey), Buffer.from(signature, 'base64')),
      ).toBe(false);
    }
  });

  it('refuses malformed signatures and keys without throwing', () => {
    const publicKey = nodePublicRaw.toString('base64');
    for (const signature of [
      '',
      '!!!',
      'AAAA',
      `${Buffer.alloc(64).toString('base64')}==`,
      Buffer.alloc(65).toString('base64'),
    ]) {
      expect(verifyApprovalSignature(HAND_WRITTEN, signature, publicKey)).toBe(false);
    }
    expect(verifyApprovalSignature(HAND_WRITTEN, Buffer.alloc(64).toString('base64'), 'short')).toBe(false);
    expect(decodeBase64Exact(Buffer.alloc(32).toString('base64'), 32)).toHaveLength(32);
    expect(decodeBase64Exact(Buffer.alloc(31).toString('base64'), 32)).toBeNull();
  });
});
