import { Buffer } from 'node:buffer';

/**
 * Payloads are built here by hand from the EMVCo MPM layout (EMV QRCPS Merchant-Presented Mode):
 * each data object is a two-digit id, a two-digit length in characters and the value; the last
 * one is the CRC, `6304` plus four hex digits of CRC-16/CCITT-FALSE over everything before them.
 * The CRC below is a table-driven one written for the test, independent of the hub's bitwise one.
 */
const TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n << 8;
  for (let k = 0; k < 8; k++) c = c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1;
  return c & 0xffff;
});
export function referenceCrc(text: string): string {
  let crc = 0xffff;
  for (const byte of Buffer.from(text, 'utf8'))
    crc = ((crc << 8) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] as number)) & 0xffff;
  return crc.toString(16).toUpperCase().padStart(4, '0');
}
export function tlv(tag: string, value: string): string {
  return `${tag}${String(Array.from(value).length).padStart(2, '0')}${value}`;
}
export function withCrc(body: string): string {
  return `${body}6304${referenceCrc(`${body}6304`)}`;
}

/** A Shanghai grocery's static code: UnionPay merchant id (tag 15) and an acquirer template (26). */
export const HEMA_STATIC_BODY = [
  tlv('00', '01'),
  tlv('01', '11'),
  tlv('15', '31310041110000000000000000000000'),
  tlv('26', tlv('00', 'A000000333010101') + tlv('01', '802310048120001')),
  tlv('52', '5411'),
  tlv('53', '156'),
  tlv('58', 'CN'),
  tlv('59', 'HEMA FRESH'),
  tlv('60', 'SHANGHAI'),
  tlv('64', tlv('00', 'ZH') + tlv('01', '盒马鲜生') + tlv('02', '上海')),
].join('');

/** The same shop's dynamic code for one bill: 89.00 yuan, bill number in tag 62. */
export const HEMA_DYNAMIC_BODY = [
  tlv('00', '01'),
  tlv('01', '12'),
  tlv('15', '31310041110000000000000000000000'),
  tlv('52', '5411'),
  tlv('53', '156'),
  tlv('54', '89.00'),
  tlv('58', 'CN'),
  tlv('59', 'HEMA FRESH'),
  tlv('60', 'SHANGHAI'),
  tlv('62', tlv('01', 'INV-2026-1127') + tlv('07', 'POS-03')),
].join('');

export const HEMA_STATIC = withCrc(HEMA_STATIC_BODY);
export const HEMA_DYNAMIC = withCrc(HEMA_DYNAMIC_BODY);
