import { describe, expect, it } from 'vitest';
import { crc16CcittFalse } from '../../src/qr/crc16.js';
import { parseMerchantQr, parseTlv } from '../../src/qr/emvco.js';
import {
  HEMA_DYNAMIC,
  HEMA_DYNAMIC_BODY,
  HEMA_STATIC,
  HEMA_STATIC_BODY,
  referenceCrc,
  tlv,
  withCrc,
} from './payloads.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('CRC-16/CCITT-FALSE', () => {
  it('gives the catalogue check value 0x29B1 for "123456789"', () => {
    expect(crc16CcittFalse(Buffer.from('123456789'))).toBe(0x29b1);
    expect(referenceCrc('123456789')).toBe('29B1');
  });
});

describe('EMVCo merchant-presented QR parsing', () => {
  it("reads the specification's own example, with its Chinese alternate-language name (CRC A13A)", () => {
    const example =
      '00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A';
    expect(parseMerchantQr(example)).toMatchObject({
      initiation: 'dynamic',
      merchantCategoryCode: '4111',
      currency: 'CNY',
      amount: 2372,
      merchantName: 'BEST TRANSPORT',
      merchantCity: 'BEIJING',
      alternate: { language: 'ZH', name: '最佳运输', city: '北京' },
      terminalLabel: 'A6008667',
      merchantAccounts: [
        { tag: '29', guid: 'D15600000000' },
        { tag: '31', guid: 'D15600000001' },
      ],
    });
  });

  it('reads a hand-built static code: no amount, so the payer enters it', () => {
    expect(HEMA_STATIC.slice(-8, -4)).toBe('6304');
    expect(parseMerchantQr(HEMA_STATIC)).toEqual({
      initiation: 'static',
      merchantAccounts: [
        { tag: '15', value: '31310041110000000000000000000000' },
        { tag: '26', guid: 'A000000333010101', value: '0016A0000003330101010115802310048120001' },
      ],
      merchantCategoryCode: '5411',
      currencyNumeric: '156',
      currency: 'CNY',
      amount: null,
      countryCode: 'CN',
      merchantName: 'HEMA FRESH',
      merchantCity: 'SHANGHAI',
      alternate: { language: 'ZH', name: '盒马鲜生', city: '上海' },
    });
  });

  it('reads a hand-built dynamic code: the amount in minor units, the bill number', () => {
    expect(parseMerchantQr(HEMA_DYNAMIC)).toMatchObject({
      initiation: 'dynamic',
      amount: 8900,
      billNumber: 'INV-2026-1127',
      terminalLabel: 'POS-03',
    });
  });

  it('turns decimal amounts into fen from the digits, never through a float', () => {
    const amountCode = (amount: string) =>
      withCrc(HEMA_DYNAMIC_BODY.replace(tlv('54', '89.00'), tlv('54', amount)));
    expect(parseMerchantQr(amountCode('0.5')).amount).toBe(50);
    expect(parseMerchantQr(amountCode('0.29')).amount).toBe(29);
    expect(parseMerchantQr(amountCode('1234567.89')).amount).toBe(123_456_789);
    expect(parseMerchantQr(amountCode('7')).amount).toBe(700);
    for (const bad of ['89,00', '1.234', '-5', '0.00', '.5'])
      expect(code(() => parseMerchantQr(amountCode(bad)))).toBe('invalid_qr');
  });

  it('accepts a CRC written in lower-case hex', () => {
    expect(parseMerchantQr(HEMA_STATIC.slice(0, -4) + HEMA_STATIC.slice(-4).toLowerCase()).merchantName).toBe(
      'HEMA FRESH',
    );
  });

  it('refuses a wrong CRC, and a payload altered after its CRC was made', () => {
    const crc = HEMA_DYNAMIC.slice(-4);
    const wrong = ((Number.parseInt(crc, 16) + 1) & 0xffff).toString(16).toUpperCase().padStart(4, '0');
    expect(code(() => parseMerchantQr(HEMA_DYNAMIC.slice(0, -4) + wrong))).toBe('qr_crc_mismatch');
    // Someone changes the amount from 89.00 to 19.00 on a printed code: the CRC gives it away.
    expect(code(() => parseMerchantQr(HEMA_DYNAMIC.replace('5405' + '89.00', '5405' + '19.00')))).toBe(
      'qr_crc_mismatch',
    );
    // ... and the payee name.
    expect(code(() => parseMerchantQr(HEMA_STATIC.replace('盒马鲜生', '盒马鮮生')))).toBe('qr_crc_mismatch');
  });

  it('refuses malformed TLV with a message that says where', () => {
    const cases: Array<[string, RegExp]> = [
      [withCrc(`${HEMA_STATIC_BODY}5920X`), /tag 59 says 20 characters but only \d+ are left|appears twice/],
      [`${HEMA_STATIC_BODY}63`, /two-digit id and a two-digit length/],
      [`${HEMA_STATIC_BODY}6304`, /length 04|only 0 are left/],
      [HEMA_STATIC_BODY, /must end with a CRC/],
      [withCrc(HEMA_STATIC_BODY.replace('000201', '000202')), /must start with the format indicator/],
      [withCrc(HEMA_STATIC_BODY.slice(6)), /must start with the format indicator/],
      [withCrc(`${HEMA_STATIC_BODY}AB12xx`), /two-digit id and a two-digit length at character/],
      [withCrc(HEMA_STATIC_BODY.replace(tlv('60', 'SHANGHAI'), '')), /no merchant city \(tag 60\)/],
      [withCrc(HEMA_STATIC_BODY.replace(tlv('52', '5411'), tlv('52', '54A1'))), /four digits/],
      [withCrc(HEMA_STATIC_BODY.replace(tlv('01', '11'), tlv('01', '13'))), /must be 11 \(static\) or 12/],
      [withCrc(HEMA_STATIC_BODY + tlv('59', 'AGAIN')), /Tag 59 appears twice/],
      [
        withCrc(
          HEMA_STATIC_BODY.replace(
            tlv('26', tlv('00', 'A000000333010101') + tlv('01', '802310048120001')),
            tlv('26', tlv('01', '802310048120001')),
          ),
        ),
        /no globally unique id/,
      ],
    ];
    for (const [payload, message] of cases) {
      expect(() => parseMerchantQr(payload), payload).toThrow(message);
      expect(code(() => parseMerchantQr(payload))).toBe('invalid_qr');
    }
  });

  it('refuses another currency even with a correct CRC', () => {
    const dollars = withCrc(HEMA_DYNAMIC_BODY.replace(tlv('53', '156'), tlv('53', '840')));
    expect(code(() => parseMerchantQr(dollars))).toBe('unsupported_currency');
  });

  it('counts lengths in characters, so a Chinese name in tag 64 is four long', () => {
    expect(parseTlv('0104最佳运输0202北京')).toEqual([
      { tag: '01', value: '最佳运输' },
      { tag: '02', value: '北京' },
    ]);
  });
});
