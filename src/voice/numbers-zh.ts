/**
 * Chinese numerals as people say quantities: 一 二 两 三 … 十 十二 二十五 一百 一百零五 两千, the
 * colloquial 两百五 (250) and 一千二 (1200), financial forms (壹 贰 叁), and Arabic digits from a
 * recognizer. Also the other way, for read-backs: 2 -> 两 (两袋, never 二袋), 12 -> 十二.
 */

const DIGITS: Readonly<Record<string, number>> = {
  零: 0,
  〇: 0,
  一: 1,
  壹: 1,
  二: 2,
  贰: 2,
  两: 2,
  三: 3,
  叁: 3,
  四: 4,
  肆: 4,
  五: 5,
  伍: 5,
  六: 6,
  陆: 6,
  七: 7,
  柒: 7,
  八: 8,
  捌: 8,
  九: 9,
  玖: 9,
};
const UNITS: Readonly<Record<string, number>> = { 十: 10, 拾: 10, 百: 100, 佰: 100, 千: 1000, 仟: 1000 };

/** One run of characters that can make a number; `parseChineseNumber` decides whether it does. */
export const CHINESE_NUMBER = '[0-9零〇一壹二贰两三叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万]+';

/** The value of a numeral, or undefined when the characters do not form one (一二, 十十). */
export function parseChineseNumber(text: string): number | undefined {
  if (/^[0-9]+$/.test(text)) return Number(text);
  if (text.length === 0) return undefined;
  let total = 0;
  let section = 0;
  let digit: number | undefined;
  let lastUnit = 0;
  let zeroSeen = false;
  for (const char of text) {
    if (char === '万') {
      if (digit === undefined && section === 0) return undefined;
      total += (section + (digit ?? 0)) * 10_000;
      section = 0;
      digit = undefined;
      lastUnit = 10_000;
      zeroSeen = false;
      continue;
    }
    const unit = UNITS[char];
    if (unit !== undefined) {
      // 十 alone is ten (十二 = 12); 百 and 千 need a digit before them.
      if (digit === undefined && unit !== 10) return undefined;
      if (lastUnit !== 0 && lastUnit <= unit && lastUnit !== 10_000) return undefined;
      section += (digit ?? 1) * unit;
      digit = undefined;
      lastUnit = unit;
      zeroSeen = false;
      continue;
    }
    const value = DIGITS[char];
    if (value === undefined) return undefined;
    if (digit !== undefined) return undefined;
    if (value === 0) {
      zeroSeen = true;
      continue;
    }
    digit = value;
  }
  if (digit !== undefined) {
    // 两百五 is 250 and 一千二 is 1200: a bare last digit counts in the unit below the last one,
    // unless a 零 said the gap (一百零五 = 105).
    const scale = !zeroSeen && lastUnit >= 100 ? lastUnit / 10 : 1;
    section += digit * scale;
  }
  return total + section;
}

const SMALL = ['零', '一', '两', '三', '四', '五', '六', '七', '八', '九'];
const PLAIN = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/** A count as spoken before a measure word: 1 一, 2 两, 12 十二, 22 二十二, 105 一百零五, 200 两百. */
export function chineseCount(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0 || n >= 10_000) return String(n);
  if (n < 10) return SMALL[n] as string;
  const thousands = Math.floor(n / 1000);
  const hundreds = Math.floor((n % 1000) / 100);
  const tens = Math.floor((n % 100) / 10);
  const ones = n % 10;
  let out = '';
  let gap = false;
  if (thousands > 0) out += `${thousands === 2 ? '两' : PLAIN[thousands]}千`;
  if (hundreds > 0) out += `${hundreds === 2 ? '两' : PLAIN[hundreds]}百`;
  else if (thousands > 0 && (tens > 0 || ones > 0)) gap = true;
  if (tens > 0) {
    if (gap) out += '零';
    gap = false;
    // 十二, not 一十二, when ten is the first thing said.
    out += out === '' && tens === 1 ? '十' : `${PLAIN[tens]}十`;
  } else if (out !== '' && ones > 0) gap = true;
  if (ones > 0) out += `${gap ? '零' : ''}${PLAIN[ones]}`;
  return out;
}
