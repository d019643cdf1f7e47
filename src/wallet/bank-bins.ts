/**
 * The issuing bank and card network from a card's leading digits (its BIN / IIN). Used only to
 * name a card for the person who added it ("招商银行 ···· 1234"); nothing is decided by it, so an
 * unknown prefix is simply `null`.
 */

export interface Bank {
  code: string;
  name: string;
  nameEn: string;
}

export type CardNetwork = 'unionpay' | 'visa' | 'mastercard' | 'amex' | 'jcb';

const ICBC: Bank = { code: 'ICBC', name: '中国工商银行', nameEn: 'Industrial and Commercial Bank of China' };
const ABC: Bank = { code: 'ABC', name: '中国农业银行', nameEn: 'Agricultural Bank of China' };
const BOC: Bank = { code: 'BOC', name: '中国银行', nameEn: 'Bank of China' };
const CCB: Bank = { code: 'CCB', name: '中国建设银行', nameEn: 'China Construction Bank' };
const BOCOM: Bank = { code: 'BOCOM', name: '交通银行', nameEn: 'Bank of Communications' };
const CMB: Bank = { code: 'CMB', name: '招商银行', nameEn: 'China Merchants Bank' };
const PSBC: Bank = { code: 'PSBC', name: '中国邮政储蓄银行', nameEn: 'Postal Savings Bank of China' };
const UNIONPAY: Bank = { code: 'UNIONPAY', name: '中国银联', nameEn: 'China UnionPay' };

/**
 * Published BIN prefixes of the big Chinese issuers (debit cards first, some Visa co-brands). The
 * bare `62` is UnionPay's own range: a card from a bank not listed here is still named as UnionPay.
 */
const PREFIXES: ReadonlyArray<readonly [string, Bank]> = [
  ['622202', ICBC],
  ['622208', ICBC],
  ['621225', ICBC],
  ['621226', ICBC],
  ['622848', ABC],
  ['622845', ABC],
  ['621661', BOC],
  ['601382', BOC],
  ['456351', BOC],
  ['621700', CCB],
  ['622700', CCB],
  ['436742', CCB],
  ['622258', BOCOM],
  ['622260', BOCOM],
  ['622262', BOCOM],
  ['622588', CMB],
  ['621483', CMB],
  ['410062', CMB],
  ['621799', PSBC],
  ['622188', PSBC],
  ['621098', PSBC],
  ['62', UNIONPAY],
];

const BY_PREFIX = new Map<string, Bank>(PREFIXES);
const LONGEST_PREFIX = Math.max(...PREFIXES.map(([prefix]) => prefix.length));

/** The issuing bank by longest matching prefix, or `null` when no listed prefix matches. */
export function bankFromBin(number: string): Bank | null {
  for (let length = Math.min(LONGEST_PREFIX, number.length); length > 0; length--) {
    const bank = BY_PREFIX.get(number.slice(0, length));
    if (bank) return { ...bank };
  }
  return null;
}

const BY_CODE = new Map<string, Bank>(PREFIXES.map(([, bank]) => [bank.code, bank]));

/** A bank by the code stored for a card (`ICBC`), or `null` for a code this table no longer has. */
export function bankByCode(code: string): Bank | null {
  const bank = BY_CODE.get(code);
  return bank ? { ...bank } : null;
}

/** The card network from the published IIN ranges, or `null` for anything else. */
export function cardNetwork(number: string): CardNetwork | null {
  const two = Number(number.slice(0, 2));
  const four = Number(number.slice(0, 4));
  if (number.startsWith('62')) return 'unionpay';
  if (number.startsWith('4')) return 'visa';
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return 'mastercard';
  if (two === 34 || two === 37) return 'amex';
  if (four >= 3528 && four <= 3589) return 'jcb';
  return null;
}
