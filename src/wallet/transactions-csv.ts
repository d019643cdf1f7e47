import { yuan } from '../money.js';
import { localDateTime } from './calendar.js';
import { categoryName } from './categories.js';
import type { TransactionRecord } from './transaction-records.js';

/**
 * Transaction records as a CSV file a spreadsheet opens correctly: UTF-8 with a byte-order mark
 * (Excel reads BOM-less UTF-8 as the local code page, which turns 小米商城 into mojibake), CRLF
 * line ends and RFC 4180 quoting. Amounts are yuan with two decimals made from integers, signed
 * from the household's point of view so a column sum is the net flow. Text cells that a
 * spreadsheet would run as a formula (=, +, -, @) are prefixed with an apostrophe.
 */
export const UTF8_BOM = '\uFEFF';

const HEADERS = {
  zh: [
    '交易号',
    '时间',
    '类型',
    '分类',
    '收款方',
    '金额(元)',
    '币种',
    '设备',
    '来源',
    '资金来源',
    '说明',
    '已退款(元)',
    '已举报',
  ],
  en: [
    'Transaction',
    'Time',
    'Type',
    'Category',
    'Payee',
    'Amount',
    'Currency',
    'Device',
    'Source',
    'Funding source',
    'Description',
    'Refunded',
    'Reported',
  ],
} as const;

const KIND_NAMES: Record<TransactionRecord['kind'], { zh: string; en: string }> = {
  payment: { zh: '支付', en: 'payment' },
  topup: { zh: '充值', en: 'top-up' },
  withdrawal: { zh: '提现', en: 'withdrawal' },
  refund: { zh: '退款', en: 'refund' },
  reversal: { zh: '冲正', en: 'reversal' },
  transfer: { zh: '转存', en: 'transfer' },
};

export function transactionsCsv(records: TransactionRecord[], timeZone: string, lang: 'zh' | 'en'): string {
  const lines = [HEADERS[lang].map(cell).join(',')];
  for (const record of records) {
    const signed = record.direction === 'out' ? -record.amount : record.amount;
    lines.push(
      [
        cell(record.id),
        cell(localDateTime(Date.parse(record.createdAt), timeZone)),
        cell(KIND_NAMES[record.kind][lang]),
        cell(categoryName(record.category)[lang]),
        cell(record.payee?.name ?? ''),
        yuan(signed),
        cell(record.currency),
        cell(record.deviceId ?? ''),
        cell(record.sourceKind ?? ''),
        cell(record.fundingSourceId ?? ''),
        cell(record.description),
        yuan(record.refunded),
        cell(record.reportedAt ? (lang === 'zh' ? '是' : 'yes') : ''),
      ].join(','),
    );
  }
  return `${UTF8_BOM}${lines.join('\r\n')}\r\n`;
}

function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
