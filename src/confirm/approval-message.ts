import { createPublicKey, verify } from 'node:crypto';
import nacl from 'tweetnacl';

/**
 * The approval signature's message, v1 (SPEC "The approval signature"). An outside client signs
 * from that text alone, so this is the one place that builds it: UTF-8, lines joined by "\n", no
 * trailing newline. Every field comes from what the hub stored, so a signature over another
 * amount, payee or intent cannot verify.
 */
export interface ApprovalFields {
  intentId: string;
  action: 'approve' | 'deny';
  amount: number;
  currency: string;
  payeeId: string;
  challenge: string;
  expiresAt: string;
  phoneId: string;
}

export const APPROVAL_MESSAGE_VERSION = 'homepay-approval-v1';

/** What of an intent (as the hub stored or sent it) a decision signs. */
export interface SignedIntentFields {
  id: string;
  amount: number;
  currency: string;
  payee: { id: string };
  challenge: string;
  expiresAt: string;
}

/** The fields of `action` on `intent` by `phoneId`: the one mapping from an intent to its message. */
export function approvalFieldsOf(
  intent: SignedIntentFields,
  action: ApprovalFields['action'],
  phoneId: string,
): ApprovalFields {
  return {
    intentId: intent.id,
    action,
    amount: intent.amount,
    currency: intent.currency,
    payeeId: intent.payee.id,
    challenge: intent.challenge,
    expiresAt: intent.expiresAt,
    phoneId,
  };
}

export function buildApprovalMessage(fields: ApprovalFields): string {
  return [
    APPROVAL_MESSAGE_VERSION,
    fields.intentId,
    fields.action,
    String(fields.amount),
    fields.currency,
    fields.payeeId,
    fields.challenge,
    fields.expiresAt,
    fields.phoneId,
  ].join('\n');
}

/** Signs a message with a 64-byte tweetnacl secret key (phones and the CLI do this). */
export function signApprovalMessage(message: string, secretKey: Uint8Array): string {
  return Buffer.from(nacl.sign.detached(Buffer.from(message, 'utf8'), secretKey)).toString('base64');
}

/**
 * True only for a well-formed base64 Ed25519 signature of `message` by `publicKey` (base64, 32 bytes).
 * Verified by node:crypto (OpenSSL), not tweetnacl: the same Ed25519, about 35 times faster
 * (tweetnacl's pure JavaScript took ~5 ms per approval, the main cost of 100 concurrent approvals
 * in `npm run bench`), and stricter only in refusing non-canonical signatures (S >= L), which no
 * signer produces (docs/performance.md).
 */
export function verifyApprovalSignature(message: string, signature: string, publicKey: string): boolean {
  const signatureBytes = decodeBase64Exact(signature, nacl.sign.signatureLength);
  const keyBytes = decodeBase64Exact(publicKey, nacl.sign.publicKeyLength);
  if (!signatureBytes || !keyBytes) return false;
  try {
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(keyBytes).toString('base64url') },
      format: 'jwk',
    });
    return verify(null, Buffer.from(message, 'utf8'), key, signatureBytes);
  } catch {
    // A key that is not a curve point.
    return false;
  }
}

/** Decodes strict base64 of exactly `length` bytes; anything else (garbage, padding games) is null. */
export function decodeBase64Exact(value: string, length: number): Uint8Array | null {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return null;
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== length || bytes.toString('base64') !== value) return null;
  return new Uint8Array(bytes);
}
