/**
 * Spending categories as people name them, in Chinese and English. Categories are free strings
 * (the catalog, merchants and QR codes bring their own); the ones listed here read well in
 * insights and CSV exports, any other is shown as written.
 */
const NAMES: Record<string, { zh: string; en: string }> = {
  groceries: { zh: '食品杂货', en: 'groceries' },
  pets: { zh: '宠物', en: 'pets' },
  dining: { zh: '餐饮', en: 'dining' },
  energy: { zh: '电费', en: 'electricity' },
  utilities: { zh: '水电燃气', en: 'utilities' },
  transport: { zh: '交通', en: 'transport' },
  shopping: { zh: '购物', en: 'shopping' },
  electronics: { zh: '数码电器', en: 'electronics' },
  household: { zh: '家居日用', en: 'household' },
  health: { zh: '医疗健康', en: 'health' },
  entertainment: { zh: '休闲娱乐', en: 'entertainment' },
  transfer: { zh: '转账', en: 'transfers' },
  savings: { zh: '储蓄', en: 'savings' },
  other: { zh: '其他', en: 'other' },
};

export function categoryName(category: string): { zh: string; en: string } {
  return NAMES[category] ?? { zh: category, en: category };
}

/**
 * ISO 18245 merchant category codes, as an EMVCo QR code carries them (tag 52), to the
 * household's categories. Codes not listed are `other`.
 */
const MCC: Array<[number, number, string]> = [
  [742, 742, 'pets'],
  [4111, 4131, 'transport'],
  [4784, 4784, 'transport'],
  [4900, 4900, 'utilities'],
  [5200, 5261, 'household'],
  [5311, 5399, 'shopping'],
  [5411, 5411, 'groceries'],
  [5422, 5499, 'groceries'],
  [5541, 5542, 'transport'],
  [5611, 5699, 'shopping'],
  [5712, 5719, 'household'],
  [5722, 5732, 'electronics'],
  [5811, 5814, 'dining'],
  [5912, 5912, 'health'],
  [5995, 5995, 'pets'],
  [7832, 7999, 'entertainment'],
  [8011, 8099, 'health'],
];

export function categoryOfMcc(mcc: string | undefined): string {
  const code = mcc && /^\d{4}$/.test(mcc) ? Number(mcc) : Number.NaN;
  for (const [from, to, category] of MCC) if (code >= from && code <= to) return category;
  return 'other';
}
