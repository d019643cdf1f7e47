import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import {
  type ApprovalFields,
  buildApprovalMessage,
  decodeBase64Exact,
  signApprovalMessage,
  verifyApprovalSignature,
} from '../../src/confirm/approval-message.js';
import { HubError } from '../../src/errors.js';
import { parseMerchantQr } from '../../src/qr/emvco.js';
import { HEMA_STATIC_BODY, tlv, withCrc } from '../qr/payloads.js';
import { edgeStrings, FUZZ_SCALE } from './hostile.js';

/**
 * Two parsers that stand between a stranger and the wallet. The approval verifier: only the paired
 * phone's signature over exactly the stored fields verifies; any other text, key or signature is a
 * plain `false`, never an exception. The EMVCo parser: a merchant code gives an amount in whole
 * positive fen or one of three clear refusals, for anything a camera can read.
 */

const keys = nacl.sign.keyPair();
const publicKey = Buffer.from(keys.publicKey).toString('base64');
const fields: ApprovalFields = {
  intentId: 'pi_0123456789abcdef',
  action: 'approve',
  amount: 8900,
  currency: 'CNY',
  payeeId: 'mi_store',
  challenge: 'q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c',
  expiresAt: '2026-11-27T08:10:00.000Z',
  phoneId: 'ph_0123456789abcdef',
};
const message = buildApprovalMessage(fields);
const signature = signApprovalMessage(message, keys.secretKey);

const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 100 }), fc.constantFrom(...edgeStrings));
const base64ish = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 80 }).map((bytes) => Buffer.from(bytes).toString('base64')),
  fc.uint8Array({ minLength: 64, maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
  fc.string({
    unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789+/=-_ \n'),
    maxLength: 100,
  }),
  text,
);

/** tweetnacl verifies in pure JavaScript, a few milliseconds each: enough runs, not more. */
const APPROVAL_RUNS = 1200 * FUZZ_SCALE;
const QR_RUNS = 3000 * FUZZ_SCALE;

describe('fuzzing the approval verifier', () => {
  it('verifies the one right signature', () => {
    expect(verifyApprovalSignature(message, signature, publicKey)).toBe(true);
  });

  it('says false, never throws, for random messages, signatures and keys', () => {
    fc.assert(
      fc.property(
        fc.oneof(text, fc.constant(message)),
        base64ish,
        fc.oneof(base64ish, fc.constant(publicKey)),
        (m, s, k) => {
          const verified = verifyApprovalSignature(m, s, k);
          expect(verified).toBe(m === message && s === signature && k === publicKey);
        },
      ),
      { numRuns: APPROVAL_RUNS },
    );
  });

  it('refuses the right signature over any other field value (amount, payee, action, intent, expiry, phone)', () => {
    const field = fc.constantFrom(...(Object.keys(fields) as Array<keyof ApprovalFields>));
    const value = fc.oneof(
      text,
      fc.integer(),
      fc.double(),
      fc.constantFrom(8900.0000001, 8901, -8900, 89, 890_000, '8900 ', ' 8900', '08900', '8900\n'),
    );
    fc.assert(
      fc.property(field, value, (key, replacement) => {
        const forged = { ...fields, [key]: replacement } as ApprovalFields;
        const forgedMessage = buildApprovalMessage(forged);
        fc.pre(forgedMessage !== message);
        expect(verifyApprovalSignature(forgedMessage, signature, publicKey)).toBe(false);
      }),
      { numRuns: APPROVAL_RUNS / 3 },
    );
  });

  it('refuses the signature with any bit flipped, or re-encoded (url-safe, unpadded, spaced)', () => {
    const bytes = Buffer.from(signature, 'base64');
    fc.assert(
      fc.property(fc.nat({ max: bytes.length * 8 - 1 }), (bit) => {
        const flipped = Buffer.from(bytes);
        flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
        expect(verifyApprovalSignature(message, flipped.toString('base64'), publicKey)).toBe(false);
      }),
      { numRuns: 128 },
    );
    for (const variant of [
      bytes.toString('base64url'),
      signature.replace(/=+$/, ''),
      ` ${signature}`,
      `${signature}\n`,
      `${signature}==`,
      signature.toLowerCase(),
    ]) {
      if (variant !== signature) expect(verifyApprovalSignature(message, variant, publicKey)).toBe(false);
    }
    expect(decodeBase64Exact(12 as unknown as string, 64)).toBeNull();
  });
});

const TAGS = [
  '00',
  '01',
  '15',
  '26',
  '52',
  '53',
  '54',
  '58',
  '59',
  '60',
  '61',
  '62',
  '63',
  '64',
  '99',
  '02',
  '51',
];
const tagValue = fc.oneof(
  fc.constantFrom(
    '01',
    '11',
    '12',
    '5411',
    '156',
    '840',
    'CN',
    'HEMA',
    '上海',
    '0',
    '0.00',
    '0.001',
    '-1',
    '89.5',
    '１２',
    '9999999999.99',
    '99999999999',
  ),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
  fc.constantFrom(...edgeStrings.filter((s) => s.length > 0 && s.length < 100)),
);
const field = fc.tuple(fc.constantFrom(...TAGS), tagValue).map(([tag, value]) => tlv(tag, value));
/** A body of TLV fields with a right CRC, so the parser gets past the checksum to the fields. */
const wellFramed = fc
  .array(field, { maxLength: 12 })
  .map((fields) => withCrc(`${tlv('00', '01')}${fields.join('')}`));
/** The real Hema code with one field's value replaced. */
const nearlyReal = fc
  .tuple(fc.constantFrom('54', '59', '60', '53', '52', '58', '64', '26', '01'), tagValue)
  .map(([tag, value]) => withCrc(`${HEMA_STATIC_BODY}${tlv(tag, value)}`));

describe('fuzzing the EMVCo merchant QR parser', () => {
  it('reads a code into a whole positive amount (or none), or refuses it with invalid_qr, qr_crc_mismatch or unsupported_currency', () => {
    const payload = fc.oneof(wellFramed, nearlyReal, text, fc.string({ unit: 'binary', maxLength: 600 }));
    fc.assert(
      fc.property(payload, (input) => {
        try {
          const qr = parseMerchantQr(input);
          expect(
            qr.amount === null || (Number.isSafeInteger(qr.amount) && qr.amount > 0),
            String(qr.amount),
          ).toBe(true);
          expect(qr.currency).toBe('CNY');
          expect(typeof qr.merchantName).toBe('string');
        } catch (err) {
          expect(err).toBeInstanceOf(HubError);
          expect(['invalid_qr', 'qr_crc_mismatch', 'unsupported_currency']).toContain((err as HubError).code);
        }
      }),
      { numRuns: QR_RUNS },
    );
  });

  it('refuses a 1 MB payload at once', () => {
    const started = performance.now();
    expect(() => parseMerchantQr(`000201${'5'.repeat(1024 * 1024)}`)).toThrow(HubError);
    expect(performance.now() - started).toBeLessThan(200);
  });
});
