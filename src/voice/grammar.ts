import type { Lang } from './language.js';

/**
 * What the parser needs from a language: the phrases that say what kind of request it is, the
 * words that carry no item (fillers, politeness, the wake phrase a recognizer left in), and where
 * quantities are in a stretch of text. One implementation per language (grammar-zh, grammar-en).
 */
export interface Grammar {
  lang: Lang;
  /** "取消", "never mind": the speaker's pending order. */
  cancel: RegExp;
  /** "这个月花了多少钱", "how much did I spend this month". */
  spending: RegExp;
  /** "钱包还有多少钱", "what's my balance". */
  balance: RegExp;
  /** "猫粮多少钱", "how much is cat food", "有没有猫砂": a question, never an order. */
  price: RegExp;
  /** "再来一单", "order the same again": repeats the last order when no item is named. */
  reorder: RegExp;
  /** The words of a question, removed to find the item asked about ("猫咪粮多少钱" -> 猫咪粮). */
  questionWords: RegExp;
  /** A yes/no question about an item ("家里还有猫粮吗") unless an order verb makes it a request. */
  question: RegExp;
  /** "别买猫粮", "don't order cat food". */
  negation: RegExp;
  /** Words that make a sentence an order even when no item is recognized ("买", "order"). */
  orderVerb: RegExp;
  /** Where a list of items divides ("和", "and", a comma). */
  connector: RegExp;
  /** Quantities in a stretch of text in which each named item stands as `ITEM_MARK`. */
  quantities(text: string): SpokenQuantity[];
  /** What is left of a stretch of text without quantities and fillers: the item as said. */
  itemPhrase(text: string): string;
  /** "第二个", "the second one", "the last one": an index into choices, or undefined. */
  ordinal(text: string): number | 'last' | undefined;
}

/** Stands for an item name found in the text, so quantities can be placed next to it. */
export const ITEM_MARK = '\uE001';
/** A list separator kept through normalization (commas vanish with the rest of the punctuation). */
export const LIST_MARK = '\uE000';

export interface SpokenQuantity {
  /** Undefined for a vague amount ("几袋", "a few"): the speaker must ask. */
  value: number | undefined;
  /** The measure word or unit said with it ("袋", "bags"). */
  unit?: string;
  /** Counted in dozens: counts single things, so only fits items sold one by one. */
  dozen?: boolean;
  /** Where it stands in the text (character index for Chinese, word index for English). */
  at: number;
  end: number;
}
