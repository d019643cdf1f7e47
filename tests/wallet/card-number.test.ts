import { describe, expect, it } from 'vitest';
import { bankFromBin, cardNetwork } from '../../src/wallet/bank-bins.js';
import { last4, luhnValid, normalizeCardNumber } from '../../src/wallet/card-number.js';

/**
 * The check digit computed the long way, independently of the code under test: double every
 * second digit from the right of the payload, add the digits of each product, and take what makes
 * the total a multiple of ten.
 */
function checkDigit(payload: string): string {
  const digits = payload.split('').map(Number).reverse();
  const total = digits
    .map((digit, i) => (i % 2 === 0 ? String(digit * 2) : String(digit)))
    .join('')
    .split('')
    .reduce((sum, d) => sum + Number(d), 0);
  return String((10 - (total % 10)) % 10);
}

/** A valid card number starting with `prefix`, `length` digits long. */
function cardWith(prefix: string, length = 16): string {
  const payload = prefix.padEnd(length - 1, '7');
  return payload + checkDigit(payload);
}

describe('Luhn check', () => {
  it('accepts published test numbers of every network', () => {
    for (const number of [
      '4111111111111111',
      '4242424242424242',
      '5555555555554444',
      '2223003122003222',
      '378282246310005',
      '3530111333300000',
      '6200000000000005',
    ]) {
      expect(luhnValid(number), number).toBe(true);
    }
  });

  it('accepts numbers whose check digit was computed independently, 12 to 19 digits long', () => {
    for (let length = 12; length <= 19; length++) {
      for (const prefix of ['622202', '436742', '955100', '3']) {
        expect(luhnValid(cardWith(prefix, length)), cardWith(prefix, length)).toBe(true);
      }
    }
  });

  it('refuses every single mistyped digit and a swap of two neighbours', () => {
    const valid = cardWith('622588');
    for (let i = 0; i < valid.length; i++) {
      const digit = Number(valid[i]);
      const typo = `${valid.slice(0, i)}${(digit + 3) % 10}${valid.slice(i + 1)}`;
      expect(luhnValid(typo), typo).toBe(false);
    }
    const swapped = `${valid.slice(0, 5)}${valid[6]}${valid[5]}${valid.slice(7)}`;
    expect(swapped).not.toBe(valid);
    expect(luhnValid(swapped)).toBe(false);
  });

  it('refuses anything that is not only digits', () => {
    expect(luhnValid('4111 1111 1111 1111')).toBe(false);
    expect(luhnValid('')).toBe(false);
    expect(luhnValid('abcd')).toBe(false);
  });
});

describe('card number normalization', () => {
  it('strips the spaces and dashes people type, keeping the digits', () => {
    expect(normalizeCardNumber('6222 0200 0005 0002')).toBe('6222020000050002');
    expect(normalizeCardNumber('4242-4242-4242-4242')).toBe('4242424242424242');
    expect(normalizeCardNumber(' 6217000000000000004 ')).toBe('6217000000000000004');
  });

  it('refuses fewer than 12 or more than 19 digits, and letters', () => {
    expect(normalizeCardNumber('12345678901')).toBeNull();
    expect(normalizeCardNumber('12345678901234567890')).toBeNull();
    expect(normalizeCardNumber('4242 4242 4242 424x')).toBeNull();
    expect(normalizeCardNumber('4242.4242.4242.4242')).toBeNull();
  });

  it('keeps the last four digits only', () => {
    expect(last4('6222020000050002')).toBe('0002');
  });
});

describe('bank from BIN', () => {
  const cases: Array<[string, string, string]> = [
    ['622202', 'ICBC', '中国工商银行'],
    ['621226', 'ICBC', '中国工商银行'],
    ['622848', 'ABC', '中国农业银行'],
    ['622845', 'ABC', '中国农业银行'],
    ['621661', 'BOC', '中国银行'],
    ['456351', 'BOC', '中国银行'],
    ['621700', 'CCB', '中国建设银行'],
    ['436742', 'CCB', '中国建设银行'],
    ['622260', 'BOCOM', '交通银行'],
    ['622262', 'BOCOM', '交通银行'],
    ['622588', 'CMB', '招商银行'],
    ['621483', 'CMB', '招商银行'],
    ['621799', 'PSBC', '中国邮政储蓄银行'],
    ['622188', 'PSBC', '中国邮政储蓄银行'],
  ];
  for (const [prefix, code, name] of cases) {
    it(`names ${name} for a card starting ${prefix}`, () => {
      expect(bankFromBin(cardWith(prefix))).toMatchObject({ code, name });
    });
  }

  it('names ICBC in English too', () => {
    expect(bankFromBin(cardWith('622202'))).toEqual({
      code: 'ICBC',
      name: '中国工商银行',
      nameEn: 'Industrial and Commercial Bank of China',
    });
  });

  it('falls back to UnionPay for another 62 card, since the longest known prefix wins', () => {
    expect(bankFromBin(cardWith('629999'))).toMatchObject({ code: 'UNIONPAY', name: '中国银联' });
    expect(bankFromBin(cardWith('622203'))).toMatchObject({ code: 'UNIONPAY' });
  });

  it('names no bank for a card from an issuer it does not know', () => {
    expect(bankFromBin('4111111111111111')).toBeNull();
    expect(bankFromBin('5555555555554444')).toBeNull();
  });
});

describe('card network', () => {
  it('tells UnionPay, Visa, Mastercard, Amex and JCB apart by their ranges', () => {
    expect(cardNetwork('6222020000050002')).toBe('unionpay');
    expect(cardNetwork('4111111111111111')).toBe('visa');
    expect(cardNetwork('436742' + '0000000008')).toBe('visa');
    expect(cardNetwork('5105105105105100')).toBe('mastercard');
    expect(cardNetwork('5555555555554444')).toBe('mastercard');
    expect(cardNetwork('2221000000000009')).toBe('mastercard');
    expect(cardNetwork('2720990000000000')).toBe('mastercard');
    expect(cardNetwork('378282246310005')).toBe('amex');
    expect(cardNetwork('341111111111111')).toBe('amex');
    expect(cardNetwork('3528000000000007')).toBe('jcb');
    expect(cardNetwork('3589000000000000')).toBe('jcb');
  });

  it('names no network outside those ranges', () => {
    expect(cardNetwork('2220990000000000')).toBeNull();
    expect(cardNetwork('2721000000000000')).toBeNull();
    expect(cardNetwork('3527000000000000')).toBeNull();
    expect(cardNetwork('3590000000000000')).toBeNull();
    expect(cardNetwork('9551000000000000000')).toBeNull();
    expect(cardNetwork('5600000000000000')).toBeNull();
  });
});
