import { HubError } from '../errors.js';
import { crcHex } from './crc16.js';

/**
 * EMVCo merchant-presented QR codes (EMV QRCPS MPM), as UnionPay and Chinese shops print them: a
 * string of TLV data objects (two-digit id, two-digit length, value) ending in a CRC (tag 63,
 * CRC-16/CCITT-FALSE over everything before its value, `6304` included).
 *
 * Lengths count characters, as the specification says; a Chinese merchant name in the alternate
 * language template (tag 64) is therefore counted in characters, and the CRC runs over the UTF-8
 * bytes of the payload.
 */

export interface TlvField {
  tag: string;
  value: string;
}

export interface MerchantAccount {
  tag: string;
  /** Templates (26-51) carry a globally unique id in sub-tag 00, e.g. `A000000333010101` or a domain. */
  guid?: string;
  value: string;
}

export interface MerchantQr {
  /** `static`: the same code for every payment, the payer enters the amount. */
  initiation: 'static' | 'dynamic';
  merchantAccounts: MerchantAccount[];
  merchantCategoryCode: string;
  /** ISO 4217 numeric; only 156 (CNY) is accepted. */
  currencyNumeric: string;
  currency: 'CNY';
  /** Minor units, for a code that fixes the amount; null when the payer must enter it. */
  amount: number | null;
  countryCode: string;
  merchantName: string;
  merchantCity: string;
  postalCode?: string;
  /** The name in the merchant's own language (tag 64), e.g. Chinese beside a pinyin tag 59. */
  alternate?: { language: string; name: string; city?: string };
  billNumber?: string;
  referenceLabel?: string;
  terminalLabel?: string;
}

const MAX_PAYLOAD_CHARS = 512;

/** Splits `text` into TLV fields, counting characters, refusing anything that does not fit. */
export function parseTlv(text: string, where = 'payload'): TlvField[] {
  const chars = Array.from(text);
  const fields: TlvField[] = [];
  let at = 0;
  while (at < chars.length) {
    const header = chars.slice(at, at + 4).join('');
    if (!/^\d{4}$/.test(header)) {
      throw invalid(
        `${where}: expected a two-digit id and a two-digit length at character ${at}, found "${header}"`,
      );
    }
    const tag = header.slice(0, 2);
    const length = Number(header.slice(2));
    if (length === 0) throw invalid(`${where}: tag ${tag} has length 00`);
    if (at + 4 + length > chars.length) {
      throw invalid(
        `${where}: tag ${tag} says ${length} characters but only ${chars.length - at - 4} are left`,
      );
    }
    fields.push({ tag, value: chars.slice(at + 4, at + 4 + length).join('') });
    at += 4 + length;
  }
  return fields;
}

/** Reads a merchant-presented code; a malformed one is `invalid_qr`, a wrong checksum `qr_crc_mismatch`. */
export function parseMerchantQr(payload: string): MerchantQr {
  const text = payload.trim();
  if (text.length === 0 || Array.from(text).length > MAX_PAYLOAD_CHARS) {
    throw invalid(`A QR payload has 1 to ${MAX_PAYLOAD_CHARS} characters`);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(text)) throw invalid('The payload contains control characters');
  const fields = parseTlv(text);

  const first = fields[0];
  if (first?.tag !== '00' || first.value !== '01') {
    throw invalid('The payload must start with the format indicator 000201');
  }
  const last = fields[fields.length - 1];
  if (last?.tag !== '63' || !/^[0-9A-Fa-f]{4}$/.test(last.value)) {
    throw invalid('The payload must end with a CRC: tag 63, four hex digits');
  }
  const expected = crcHex(text.slice(0, text.length - 4));
  if (expected !== last.value.toUpperCase()) {
    throw new HubError(
      'qr_crc_mismatch',
      `The QR code's checksum is ${last.value.toUpperCase()}, but its content gives ${expected}: the code is damaged or altered`,
    );
  }

  const byTag = new Map<string, string>();
  for (const field of fields) {
    if (byTag.has(field.tag)) throw invalid(`Tag ${field.tag} appears twice`);
    byTag.set(field.tag, field.value);
  }

  const initiation = byTag.get('01');
  if (initiation !== undefined && initiation !== '11' && initiation !== '12') {
    throw invalid(`Point of initiation (tag 01) must be 11 (static) or 12 (dynamic), not ${initiation}`);
  }
  const merchantAccounts = fields
    .filter((field) => Number(field.tag) >= 2 && Number(field.tag) <= 51)
    .map((field) => merchantAccount(field));
  if (merchantAccounts.length === 0) throw invalid('No merchant account information (tags 02-51)');

  const mcc = required(byTag, '52', 'merchant category code');
  if (!/^\d{4}$/.test(mcc)) throw invalid('The merchant category code (tag 52) must be four digits');
  const currencyNumeric = required(byTag, '53', 'transaction currency');
  if (!/^\d{3}$/.test(currencyNumeric)) throw invalid('The currency (tag 53) must be three digits');
  if (currencyNumeric !== '156') {
    throw new HubError(
      'unsupported_currency',
      `The code asks for currency ${currencyNumeric}; this wallet pays in CNY (156) only`,
    );
  }
  const countryCode = required(byTag, '58', 'country code');
  if (!/^[A-Z]{2}$/.test(countryCode)) throw invalid('The country code (tag 58) must be two capital letters');
  const merchantName = required(byTag, '59', 'merchant name');
  const merchantCity = required(byTag, '60', 'merchant city');
  if (Array.from(merchantName).length > 25) throw invalid('The merchant name (tag 59) is over 25 characters');
  if (Array.from(merchantCity).length > 15) throw invalid('The merchant city (tag 60) is over 15 characters');

  const amountText = byTag.get('54');
  const amount = amountText === undefined ? null : parseAmount(amountText);
  const additional = byTag.has('62')
    ? templateFields(byTag.get('62') as string, '62')
    : new Map<string, string>();
  const language = byTag.has('64') ? templateFields(byTag.get('64') as string, '64') : undefined;

  const qr: MerchantQr = {
    initiation: initiation === '12' ? 'dynamic' : 'static',
    merchantAccounts,
    merchantCategoryCode: mcc,
    currencyNumeric,
    currency: 'CNY',
    amount,
    countryCode,
    merchantName,
    merchantCity,
  };
  const postal = byTag.get('61');
  if (postal) qr.postalCode = postal;
  if (language) {
    const languageCode = language.get('00');
    const altName = language.get('01');
    if (!languageCode || !altName) {
      throw invalid('The language template (tag 64) needs a language (00) and a merchant name (01)');
    }
    const altCity = language.get('02');
    qr.alternate = { language: languageCode, name: altName, ...(altCity ? { city: altCity } : {}) };
  }
  const bill = additional.get('01');
  if (bill) qr.billNumber = bill;
  const reference = additional.get('05');
  if (reference) qr.referenceLabel = reference;
  const terminal = additional.get('07');
  if (terminal) qr.terminalLabel = terminal;
  return qr;
}

/** "89", "89.5", "89.05" yuan to minor units, from the digits alone: no float on the way. */
export function parseAmount(text: string): number {
  const match = /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(text);
  if (!match) throw invalid(`The amount (tag 54) "${text}" is not a decimal amount`);
  const fen = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  if (fen <= 0) throw invalid('The amount (tag 54) must be above zero');
  return fen;
}

function merchantAccount(field: TlvField): MerchantAccount {
  // 02-25 are primitive (card-scheme merchant ids); 26-51 are templates with a GUID in sub-tag 00.
  if (Number(field.tag) < 26) return { tag: field.tag, value: field.value };
  const sub = templateFields(field.value, field.tag);
  const guid = sub.get('00');
  if (!guid) throw invalid(`Merchant account template ${field.tag} has no globally unique id (sub-tag 00)`);
  return { tag: field.tag, guid, value: field.value };
}

function templateFields(value: string, tag: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const field of parseTlv(value, `tag ${tag}`)) map.set(field.tag, field.value);
  return map;
}

function required(byTag: Map<string, string>, tag: string, what: string): string {
  const value = byTag.get(tag);
  if (value === undefined) throw invalid(`The code has no ${what} (tag ${tag})`);
  return value;
}

function invalid(message: string): HubError {
  return new HubError('invalid_qr', message);
}
