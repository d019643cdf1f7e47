/**
 * Which language an utterance is in, and how the hub writes text for matching. Speakers send what
 * their speech recognizer produced: full-width characters, stray punctuation, and (Rhasspy) spaces
 * between Chinese words. Normalizing once here lets the parser compare like with like.
 */

export type Lang = 'zh' | 'en';

const HAN = /\p{Script=Han}/u;
const HAN_BEFORE_SPACE = /(\p{Script=Han})\s+/gu;
const SPACE_BEFORE_HAN = /\s+(\p{Script=Han})/gu;
/** Punctuation and symbols become spaces; apostrophes are dropped so "what's" stays one word. */
const PUNCTUATION = /[\p{P}\p{S}]/gu;

/** `zh-CN`, `zh`, `cmn` -> zh; `en-US` -> en; anything else is not a hint. */
export function langFromTag(tag: string | undefined | null): Lang | undefined {
  if (!tag) return undefined;
  const primary = tag.toLowerCase().split(/[-_]/)[0];
  if (primary === 'zh' || primary === 'cmn' || primary === 'yue') return 'zh';
  if (primary === 'en') return 'en';
  return undefined;
}

/**
 * The language of the words themselves: any Chinese character makes it Chinese ("帮我买两个Mi
 * Band" is a Chinese sentence with a brand in it), latin letters alone make it English.
 */
export function detectLang(text: string): Lang | undefined {
  if (HAN.test(text)) return 'zh';
  if (/[a-z]/i.test(text)) return 'en';
  return undefined;
}

/**
 * The text the parser reads: NFKC (full-width to half-width), lower case, punctuation as spaces,
 * no spaces next to Chinese characters, single spaces elsewhere.
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(PUNCTUATION, ' ')
    .replace(HAN_BEFORE_SPACE, '$1')
    .replace(SPACE_BEFORE_HAN, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}
