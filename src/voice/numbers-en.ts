/**
 * English quantities as people say them to a speaker: digits from the recognizer, number words
 * (two, twelve, twenty-five, a hundred and five), a dozen / half a dozen / two dozen, a couple
 * (of), a pair of, and "a", "an", "some", "another" meaning one. "A few" and "several" are
 * quantities nobody can pay for: they come back as `unclear`.
 */

const ONES: Readonly<Record<string, number>> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
const TENS: Readonly<Record<string, number>> = {
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
/** Words that mean "one of it" when they stand where a number would. */
const ONE_WORDS = new Set(['a', 'an', 'some', 'another', 'single', 'more']);
const VAGUE = new Set(['few', 'several', 'many', 'lots', 'bunch']);

export type EnglishQuantity =
  | {
      kind: 'count';
      value: number;
      length: number /** "a", "some": one by default, not by number */;
      implicit: boolean;
    }
  | { kind: 'dozen'; value: number; length: number }
  | { kind: 'unclear'; length: number };

/** The quantity that starts at `tokens[start]`, or undefined when none does. */
export function englishQuantityAt(tokens: readonly string[], start: number): EnglishQuantity | undefined {
  const at = (offset: number) => tokens[start + offset];
  const first = at(0);
  if (first === undefined) return undefined;

  // "half a dozen", "a dozen", "two dozen", "dozens" (vague)
  if (first === 'half' && at(1) === 'a' && at(2) === 'dozen') return { kind: 'dozen', value: 6, length: 3 };
  if ((first === 'a' || first === 'one') && at(1) === 'dozen') return { kind: 'dozen', value: 12, length: 2 };
  if (first === 'dozen') return { kind: 'dozen', value: 12, length: 1 };
  if (first === 'dozens') return { kind: 'unclear', length: 1 };
  if ((first === 'a' && at(1) !== undefined && VAGUE.has(at(1) as string)) || VAGUE.has(first)) {
    return { kind: 'unclear', length: first === 'a' ? 2 : 1 };
  }
  if (first === 'a' && (at(1) === 'couple' || at(1) === 'pair')) {
    return { kind: 'count', value: 2, length: at(2) === 'of' ? 3 : 2, implicit: false };
  }
  if (first === 'couple') return { kind: 'count', value: 2, length: at(1) === 'of' ? 2 : 1, implicit: false };

  const number = numberAt(tokens, start);
  if (number) {
    if (at(number.length) === 'dozen') {
      return { kind: 'dozen', value: number.value * 12, length: number.length + 1 };
    }
    return { kind: 'count', value: number.value, length: number.length, implicit: false };
  }
  if (ONE_WORDS.has(first)) return { kind: 'count', value: 1, length: 1, implicit: true };
  return undefined;
}

/** A spelled or written number at `start`: "2", "twenty five", "twenty-five", "a hundred and five". */
export function numberAt(
  tokens: readonly string[],
  start: number,
): { value: number; length: number } | undefined {
  const first = tokens[start];
  if (first === undefined) return undefined;
  if (/^[0-9]{1,9}$/.test(first)) return { value: Number(first), length: 1 };
  let index = start;
  let value: number | undefined;
  // "a hundred", "one hundred"
  if ((first === 'a' || first === 'one') && tokens[start + 1] === 'hundred') {
    value = 100;
    index = start + 2;
    const rest = belowHundred(tokens, index + (tokens[index] === 'and' ? 1 : 0));
    if (rest) return { value: 100 + rest.value, length: rest.end - start };
    return { value, length: index - start };
  }
  const small = belowHundred(tokens, index);
  if (!small) return undefined;
  value = small.value;
  index = small.end;
  if (tokens[index] === 'hundred' && value > 0 && value < 10) {
    value *= 100;
    index += 1;
    const rest = belowHundred(tokens, index + (tokens[index] === 'and' ? 1 : 0));
    if (rest) return { value: value + rest.value, length: rest.end - start };
  }
  return { value, length: index - start };
}

function belowHundred(tokens: readonly string[], start: number): { value: number; end: number } | undefined {
  const word = tokens[start];
  if (word === undefined) return undefined;
  const hyphenated = word.split('-');
  if (hyphenated.length === 2) {
    const tens = TENS[hyphenated[0] as string];
    const ones = ONES[hyphenated[1] as string];
    if (tens !== undefined && ones !== undefined && ones > 0 && ones < 10)
      return { value: tens + ones, end: start + 1 };
  }
  const ones = ONES[word];
  if (ones !== undefined) return { value: ones, end: start + 1 };
  const tens = TENS[word];
  if (tens === undefined) return undefined;
  const next = ONES[tokens[start + 1] ?? ''];
  if (next !== undefined && next > 0 && next < 10) return { value: tens + next, end: start + 2 };
  return { value: tens, end: start + 1 };
}

const SPELLED = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
  'twenty',
];

/** A count for a read-back: words up to twenty (as a speaker says them), digits above. */
export function englishCount(n: number): string {
  return SPELLED[n] ?? String(n);
}
