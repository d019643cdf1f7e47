/**
 * Money as people read it, made from integer minor units with integer arithmetic only (never a
 * float on the way): `yuan(8900)` is `89.00`, `yuan(-5)` is `-0.05`, `formatMoney(3870, 'CNY')` is
 * `¥38.70`.
 */
export function yuan(amount: number): string {
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

export function formatMoney(amount: number, currency: string): string {
  const text = yuan(amount);
  if (currency !== 'CNY') return `${currency} ${text}`;
  return text.startsWith('-') ? `-¥${text.slice(1)}` : `¥${text}`;
}
