import type { CatalogItem } from '../catalog/schema.js';
import type { CatalogNames, NameFound } from './catalog-names.js';
import { type Grammar, ITEM_MARK, LIST_MARK, type SpokenQuantity } from './grammar.js';
import { enGrammar } from './grammar-en.js';
import { zhGrammar } from './grammar-zh.js';
import { detectLang, type Lang, langFromTag, normalizeText } from './language.js';
import { numberAt } from './numbers-en.js';
import { parseChineseNumber } from './numbers-zh.js';
import { unitClass, unitFits } from './units.js';

/** Longer than anyone says to a speaker in one breath; a recognizer gone wrong, or not speech. */
export const MAX_UTTERANCE_CHARS = 300;

export interface RequestedLine {
  item: CatalogItem;
  quantity: number;
}

/** What an utterance asks for, before any policy or price is applied. */
export type Request =
  | { kind: 'empty' }
  | { kind: 'too_long'; length: number }
  | { kind: 'order'; lines: RequestedLine[] }
  /** One item was said in a way that fits two or three: ask which; `lines` are the clear ones. */
  | { kind: 'choose'; lines: RequestedLine[]; choices: CatalogItem[]; quantity: number }
  | { kind: 'one_at_a_time' }
  | { kind: 'unknown_item'; phrase: string }
  | { kind: 'quantity_unclear'; item: CatalogItem; reason: 'vague' | 'unit' | 'zero' }
  | { kind: 'price'; items: CatalogItem[] }
  | { kind: 'reorder' }
  | { kind: 'cancel' }
  | { kind: 'balance' }
  | { kind: 'spending' }
  | { kind: 'declined' }
  | { kind: 'not_understood' };

export type Interpretation = Request & { lang: Lang };

const GRAMMARS: Readonly<Record<Lang, Grammar>> = { zh: zhGrammar, en: enGrammar };

/** One stretch of an order between list separators ("两袋猫粮" | "一袋猫砂"). */
interface Chunk {
  text: string;
  items: CatalogItem[];
}

type ChunkOutcome =
  | { kind: 'lines'; lines: Array<{ item: CatalogItem; quantity?: SpokenQuantity }> }
  | { kind: 'choose'; choices: CatalogItem[]; quantity?: SpokenQuantity }
  | { kind: 'unknown'; phrase: string }
  /** Only quantities or nothing: "两袋" in "猫粮,两袋" belongs to the item next to it. */
  | { kind: 'carrier'; quantity?: SpokenQuantity };

/**
 * Turns what a person said into a request: which kind (order, reorder, cancel, balance, spending,
 * a price question), and for an order the catalog items and quantities. Pure: no policy, no
 * prices, no state, so the utterance table in tests/fixtures can pin it down line by line.
 */
export class Interpreter {
  constructor(
    private readonly names: CatalogNames,
    private readonly defaultLang: Lang = 'zh',
  ) {}

  /** The language of an utterance: its words first, then the device's tag, then the default. */
  languageOf(text: string, tag?: string | null): Lang {
    return detectLang(text) ?? langFromTag(tag) ?? this.defaultLang;
  }

  interpret(text: string, tag?: string | null): Interpretation {
    const lang = this.languageOf(text, tag);
    const length = [...text].length;
    if (length > MAX_UTTERANCE_CHARS) return { lang, kind: 'too_long', length };
    const prepared = prepare(text);
    if (prepared.replaceAll(LIST_MARK, '').trim().length === 0) return { lang, kind: 'empty' };
    return { lang, ...this.request(prepared, GRAMMARS[lang]) };
  }

  /**
   * A Hermes `PlaceOrder`: the NLU already cut out the item and the quantity. The item slot may be
   * a catalog sku (a Rhasspy slot list can map synonyms to it), a name, or words to match; the
   * quantity a number, or words when the template did not convert them.
   */
  fromSlots(
    slots: { item?: string; quantity?: unknown; quantityWords?: string },
    input: string,
    tag?: string | null,
  ): Interpretation {
    // The whole sentence says the language better than a slot that may hold a sku.
    const lang = this.languageOf(input.trim() === '' ? (slots.item ?? '') : input, tag);
    const itemText = slots.item?.trim() ?? '';
    if (itemText.length === 0) return this.interpret(input, tag);
    if ([...itemText].length > MAX_UTTERANCE_CHARS)
      return { lang, kind: 'too_long', length: itemText.length };
    const quantity = slotQuantity(slots.quantity, slots.quantityWords, lang);
    if (quantity === 'unclear') {
      const item = this.itemFor(itemText);
      return item
        ? { lang, kind: 'quantity_unclear', item, reason: 'vague' }
        : { lang, kind: 'unknown_item', phrase: itemText };
    }
    const match = this.names.item(itemText) ? undefined : this.names.match(itemText);
    const item = this.names.item(itemText) ?? (match?.kind === 'item' ? match.item : undefined);
    if (match?.kind === 'ambiguous')
      return { lang, kind: 'choose', lines: [], choices: match.items, quantity: quantity ?? 1 };
    if (!item) return { lang, kind: 'unknown_item', phrase: itemText };
    if (quantity === 0) return { lang, kind: 'quantity_unclear', item, reason: 'zero' };
    return { lang, kind: 'order', lines: [{ item, quantity: quantity ?? 1 }] };
  }

  /**
   * The answer to "which one?": an ordinal ("第二个", "the last one"), a name among the choices,
   * or `cancel` ("算了", "never mind"). Undefined when the answer is none of these, so it can be
   * taken as a new request instead.
   */
  choose(
    text: string,
    choices: readonly CatalogItem[],
    tag?: string | null,
  ): CatalogItem | 'cancel' | undefined {
    const grammar = GRAMMARS[this.languageOf(text, tag)];
    const prepared = prepare(text);
    if (grammar.cancel.test(prepared)) return 'cancel';
    const named = this.names.findIn(prepared).filter((found) => choices.includes(found.item));
    if (named.length > 0 && named.every((found) => found.item === named[0]?.item)) return named[0]?.item;
    const ordinal = grammar.ordinal(prepared);
    if (ordinal === 'last') return choices[choices.length - 1];
    if (ordinal !== undefined) return choices[ordinal];
    const match = this.names.match(grammar.itemPhrase(prepared), choices);
    return match.kind === 'item' ? match.item : undefined;
  }

  private request(text: string, grammar: Grammar): Request {
    if (grammar.cancel.test(text)) return { kind: 'cancel' };
    if (grammar.spending.test(text)) return { kind: 'spending' };
    if (grammar.balance.test(text)) return { kind: 'balance' };
    const asksPrice =
      grammar.price.test(text) || (grammar.question.test(text) && !grammar.orderVerb.test(text));
    if (asksPrice) return this.priceQuestion(text, grammar);
    if (grammar.negation.test(text)) return { kind: 'declined' };

    const found = this.names.findIn(text);
    const order = this.order(text, found, grammar);
    if (order) return order;
    if (grammar.reorder.test(text)) return { kind: 'reorder' };
    const phrase = grammar.itemPhrase(text.replaceAll(LIST_MARK, ' '));
    const wantsSomething = grammar.orderVerb.test(text) || grammar.quantities(text).length > 0;
    return phrase.length > 0 && wantsSomething
      ? { kind: 'unknown_item', phrase }
      : { kind: 'not_understood' };
  }

  private priceQuestion(text: string, grammar: Grammar): Request {
    const named = distinctItems(this.names.findIn(text).map((found) => found.item));
    if (named.length > 0) return { kind: 'price', items: named };
    const phrase = grammar.itemPhrase(text.replace(grammar.questionWords, ' '));
    if (phrase.length === 0) return { kind: 'not_understood' };
    const match = this.names.match(phrase);
    if (match.kind === 'item') return { kind: 'price', items: [match.item] };
    if (match.kind === 'ambiguous') return { kind: 'price', items: match.items };
    return { kind: 'unknown_item', phrase };
  }

  /** The order in a sentence, or undefined when it names no item at all (exactly or nearly). */
  private order(text: string, found: NameFound[], grammar: Grammar): Request | undefined {
    const outcomes = chunksOf(text, found, grammar).map((chunk) => this.chunk(chunk, grammar));
    const placed = placeQuantities(outcomes);
    const unknown = outcomes.find((outcome) => outcome.kind === 'unknown');
    const choices = outcomes.filter((outcome) => outcome.kind === 'choose');
    const named = placed.length > 0 || choices.length > 0;
    if (!named) return undefined;
    if (unknown) return { kind: 'unknown_item', phrase: unknown.phrase };
    if (choices.length > 1) return { kind: 'one_at_a_time' };

    const lines: RequestedLine[] = [];
    for (const { item, quantity } of placed) {
      const count = countOf(item, quantity, grammar.lang);
      if (typeof count !== 'number') return { kind: 'quantity_unclear', item, reason: count.reason };
      const existing = lines.find((line) => line.item === item);
      if (existing) existing.quantity += count;
      else lines.push({ item, quantity: count });
    }
    const choice = choices[0];
    if (choice) {
      const count = countOf(choice.choices[0] as CatalogItem, choice.quantity, grammar.lang, false);
      if (typeof count !== 'number')
        return { kind: 'quantity_unclear', item: choice.choices[0] as CatalogItem, reason: count.reason };
      return { kind: 'choose', lines, choices: choice.choices, quantity: count };
    }
    return { kind: 'order', lines };
  }

  private chunk(chunk: Chunk, grammar: Grammar): ChunkOutcome {
    const quantities = grammar.quantities(chunk.text);
    if (chunk.items.length === 1) {
      return { kind: 'lines', lines: [{ item: chunk.items[0] as CatalogItem, quantity: quantities.at(-1) }] };
    }
    if (chunk.items.length > 1) return { kind: 'lines', lines: spreadQuantities(chunk, quantities, grammar) };
    const phrase = grammar.itemPhrase(chunk.text);
    if (phrase.length === 0) return { kind: 'carrier', quantity: quantities.at(-1) };
    const match = this.names.match(phrase);
    if (match.kind === 'item')
      return { kind: 'lines', lines: [{ item: match.item, quantity: quantities.at(-1) }] };
    if (match.kind === 'ambiguous')
      return { kind: 'choose', choices: match.items, quantity: quantities.at(-1) };
    return { kind: 'unknown', phrase };
  }

  private itemFor(text: string): CatalogItem | undefined {
    const match = this.names.match(text);
    return this.names.item(text) ?? (match.kind === 'item' ? match.item : undefined);
  }
}

/** Commas, 、 and semicolons separate list items; the rest of the punctuation goes. */
function prepare(text: string): string {
  return normalizeText(text.replace(/[,,、;;]/g, ` ${LIST_MARK} `));
}

/**
 * The sentence cut at list separators and connectors, each exact item name replaced by a mark so a
 * name with "and" in it (Mi Door and Window Sensor 2) is never cut.
 */
function chunksOf(text: string, found: NameFound[], grammar: Grammar): Chunk[] {
  let marked = '';
  let from = 0;
  const spaced = grammar.lang === 'en';
  for (const name of found) {
    marked += text.slice(from, name.start) + (spaced ? ` ${ITEM_MARK} ` : ITEM_MARK);
    from = name.end;
  }
  marked += text.slice(from);
  if (spaced) marked = marked.replace(/\s+/g, ' ').trim();
  const items = found.map((name) => name.item);
  const connector = new RegExp(grammar.connector.source, 'g');
  return marked
    .split(connector)
    .map((part) => (spaced ? part.trim() : part))
    .filter((part) => part.length > 0)
    .map((part) => ({ text: part, items: items.splice(0, countMarks(part)) }));
}

function countMarks(text: string): number {
  return text.split(ITEM_MARK).length - 1;
}

/**
 * Several items in one stretch without a separator ("两袋猫粮一袋狗粮", "猫粮狗粮各一袋"): each takes
 * the quantity on its side, before it when the sentence starts with a quantity, after it otherwise.
 */
function spreadQuantities(
  chunk: Chunk,
  quantities: SpokenQuantity[],
  grammar: Grammar,
): Array<{ item: CatalogItem; quantity?: SpokenQuantity }> {
  const positions = markPositions(chunk.text, grammar);
  if (quantities.length === 1 && /各|\beach\b|\bof each\b/.test(chunk.text)) {
    return chunk.items.map((item) => ({ item, quantity: quantities[0] }));
  }
  const before = quantities.some((quantity) => quantity.end <= (positions[0] ?? 0));
  return chunk.items.map((item, index) => {
    const start = before
      ? index === 0
        ? 0
        : (positions[index - 1] as number) + 1
      : (positions[index] as number) + 1;
    const end = before ? (positions[index] as number) : (positions[index + 1] ?? Number.POSITIVE_INFINITY);
    const own = quantities.filter((quantity) => quantity.at >= start && quantity.end <= end);
    return { item, quantity: before ? own.at(-1) : own[0] };
  });
}

/** Where each item mark stands, in the units quantities use (characters or words). */
function markPositions(text: string, grammar: Grammar): number[] {
  const units = grammar.lang === 'en' ? text.split(' ') : [...text];
  return units.flatMap((unit, index) => (unit === ITEM_MARK ? [index] : []));
}

/**
 * Quantities said apart from their item go to it: "两袋, 不对, 三袋猫粮" gives the item its own
 * (three); "猫粮, 两袋" gives the item before it the trailing two, as a correction.
 */
function placeQuantities(outcomes: ChunkOutcome[]): Array<{ item: CatalogItem; quantity?: SpokenQuantity }> {
  const placed: Array<{ item: CatalogItem; quantity?: SpokenQuantity }> = [];
  let carried: SpokenQuantity | undefined;
  let last: { item: CatalogItem; quantity?: SpokenQuantity } | undefined;
  for (const outcome of outcomes) {
    if (outcome.kind === 'carrier') {
      if (outcome.quantity) carried = outcome.quantity;
      continue;
    }
    if (outcome.kind === 'choose') {
      if (!outcome.quantity && carried) outcome.quantity = carried;
      carried = undefined;
      continue;
    }
    if (outcome.kind !== 'lines') continue;
    for (const line of outcome.lines) {
      const entry = { item: line.item, quantity: line.quantity ?? carried };
      placed.push(entry);
      last = entry;
    }
    carried = undefined;
  }
  if (carried && last) last.quantity = carried;
  return placed;
}

/** A spoken quantity as a count of the item's own unit, or why it cannot be one. */
function countOf(
  item: CatalogItem,
  quantity: SpokenQuantity | undefined,
  lang: Lang,
  checkUnit = true,
): number | { reason: 'vague' | 'unit' | 'zero' } {
  if (!quantity) return 1;
  if (quantity.value === undefined) return { reason: 'vague' };
  const soldBy = item.units[lang];
  if (checkUnit && quantity.unit !== undefined && !unitFits(quantity.unit, soldBy)) return { reason: 'unit' };
  if (checkUnit && quantity.dozen) {
    const sold = unitClass(soldBy) ?? 'generic';
    if (sold !== 'single' && sold !== 'generic') return { reason: 'unit' };
  }
  if (quantity.value === 0) return { reason: 'zero' };
  if (!Number.isSafeInteger(quantity.value)) return { reason: 'vague' };
  return quantity.value;
}

/** A Hermes quantity slot: a number, or words to read ("两", "a dozen"); undefined when absent. */
function slotQuantity(value: unknown, words: string | undefined, lang: Lang): number | 'unclear' | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : 'unclear';
  const text = typeof value === 'string' && value.trim() !== '' ? value : words;
  if (text === undefined || text.trim() === '')
    return value === undefined || value === null ? undefined : 'unclear';
  const normalized = normalizeText(text);
  if (lang === 'zh' || /\p{Script=Han}/u.test(normalized)) {
    if (normalized === '俩') return 2;
    if (normalized === '仨') return 3;
    if (normalized === '一打') return 12;
    return parseChineseNumber(normalized.replace(/[袋盒箱瓶包个台件罐桶支提]$/, '')) ?? 'unclear';
  }
  const quantity = enGrammar.quantities(`${normalized} ${ITEM_MARK}`)[0];
  if (quantity?.value !== undefined) return quantity.value;
  return numberAt(normalized.split(' '), 0)?.value ?? 'unclear';
}

function distinctItems(items: CatalogItem[]): CatalogItem[] {
  return items.filter((item, index) => items.indexOf(item) === index);
}
