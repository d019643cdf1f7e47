import type { Catalog, CatalogItem } from '../catalog/schema.js';
import { normalizeText } from './language.js';
import { characterSimilarity, editSimilarity, wordSimilarity } from './similarity.js';
import { pluralize, singularize } from './units.js';

/** One way of saying an item, normalized as utterances are. */
interface Name {
  item: CatalogItem;
  text: string;
  /** Chinese names match anywhere in a sentence; English ones only on word boundaries. */
  han: boolean;
  /** English words, singular, for comparing "bags of cat foods" with "cat food". */
  words: string[];
}

export interface NameFound {
  item: CatalogItem;
  start: number;
  end: number;
}

export type ItemMatch =
  | { kind: 'item'; item: CatalogItem }
  /** Two or three items fit about equally well: ask which. Best first. */
  | { kind: 'ambiguous'; items: CatalogItem[] }
  | { kind: 'none' };

/** A near miss must score at least this much to count at all. */
const NEAR_MISS = 0.72;
/** ...and beat the runner-up by this much to be "clearly best" rather than a question. */
const CLEAR_LEAD = 0.12;
/** More candidates than this are read out as the first few. */
const MAX_CHOICES = 3;

const HAN = /\p{Script=Han}/u;
const WORD_CHAR = /[a-z0-9]/;

/**
 * Every name and alias of every catalog item, in both languages, and the two ways an utterance
 * meets them: a name said exactly somewhere in the sentence (longest first, so 宠物饮水机滤芯 is not
 * 宠物饮水机), or a phrase that is a near miss of a name.
 */
export class CatalogNames {
  private readonly names: Name[];
  private readonly bySku: Map<string, CatalogItem>;

  constructor(readonly catalog: Catalog) {
    this.bySku = new Map(catalog.items.map((item) => [item.sku, item]));
    const owner = new Map<string, string>();
    const names: Name[] = [];
    const add = (item: CatalogItem, text: string) => {
      if (text.length === 0) return;
      const taken = owner.get(text);
      // A plural made up here never takes a name another item has for real.
      if (taken !== undefined) return;
      owner.set(text, item.sku);
      const han = HAN.test(text);
      names.push({ item, text, han, words: han ? [] : text.split(' ').map(singularize) });
    };
    for (const item of catalog.items) {
      for (const name of [...item.names.zh, ...item.names.en]) add(item, normalizeText(name));
    }
    for (const item of catalog.items) {
      for (const name of item.names.en) {
        const words = normalizeText(name).split(' ');
        const last = words.pop() ?? '';
        add(item, [...words, pluralize(last)].join(' '));
        add(item, [...words, singularize(last)].join(' '));
      }
    }
    this.names = names.sort((a, b) => b.text.length - a.text.length);
  }

  /**
   * The items of some names, each once, in catalog order: the shop owner decides which choice is
   * read out first, and it is the same every time.
   */
  private inCatalogOrder(names: Name[]): CatalogItem[] {
    const items = new Set(names.map((name) => name.item));
    return this.catalog.items.filter((item) => items.has(item));
  }

  item(sku: string): CatalogItem | undefined {
    return this.bySku.get(sku);
  }

  /** Items named exactly in `text` (normalized), left to right, never overlapping. */
  findIn(text: string): NameFound[] {
    const taken: boolean[] = new Array(text.length).fill(false);
    const found: NameFound[] = [];
    for (const name of this.names) {
      let from = 0;
      // A one-character name (水) is too common inside other words (水果, 净水器): it only counts
      // when it is the whole phrase, in `match`.
      if (name.han && [...name.text].length < 2) continue;
      while (from <= text.length) {
        const start = text.indexOf(name.text, from);
        if (start < 0) break;
        const end = start + name.text.length;
        from = start + 1;
        if (!name.han && !onWordBoundaries(text, start, end)) continue;
        if (taken.slice(start, end).some(Boolean)) continue;
        taken.fill(true, start, end);
        found.push({ item: name.item, start, end });
      }
    }
    return found.sort((a, b) => a.start - b.start);
  }

  /**
   * The item a phrase (no quantity, no filler) most likely means. Exact names first; then a
   * phrase that is part of names (牛奶 in 纯牛奶 and 脱脂牛奶: ask which; 牙刷 in one item only: that
   * one); then near misses, accepted only when one item clearly leads.
   */
  match(phrase: string, among?: readonly CatalogItem[]): ItemMatch {
    const text = normalizeText(phrase);
    if (text.length === 0) return { kind: 'none' };
    const allowed = among ? new Set(among.map((item) => item.sku)) : undefined;
    const names = allowed ? this.names.filter((name) => allowed.has(name.item.sku)) : this.names;

    const exact = names.find((name) => name.text === text);
    if (exact) return { kind: 'item', item: exact.item };

    const han = HAN.test(text);
    const words = han ? [] : text.split(' ').map(singularize);
    const containing = this.inCatalogOrder(
      names.filter((name) =>
        han ? name.han && [...text].length >= 2 && name.text.includes(text) : containsWords(name, words),
      ),
    );
    if (containing.length === 1) return { kind: 'item', item: containing[0] as CatalogItem };
    if (containing.length > 1) return { kind: 'ambiguous', items: containing.slice(0, MAX_CHOICES) };

    const scores = new Map<string, { item: CatalogItem; score: number }>();
    for (const name of names) {
      if (name.han !== han) continue;
      const score = han
        ? characterSimilarity(text, name.text)
        : Math.max(editSimilarity(text, name.text), wordSimilarity(words, name.words));
      const best = scores.get(name.item.sku);
      if (!best || score > best.score) scores.set(name.item.sku, { item: name.item, score });
    }
    const ranked = [...scores.values()]
      .filter((entry) => entry.score >= NEAR_MISS)
      .sort((a, b) => b.score - a.score);
    const [first, second] = ranked;
    if (!first) return { kind: 'none' };
    if (!second || first.score - second.score >= CLEAR_LEAD) return { kind: 'item', item: first.item };
    const close = ranked.filter((entry) => first.score - entry.score < CLEAR_LEAD);
    return { kind: 'ambiguous', items: close.slice(0, MAX_CHOICES).map((entry) => entry.item) };
  }
}

function onWordBoundaries(text: string, start: number, end: number): boolean {
  const before = text[start - 1];
  const after = text[end];
  return (before === undefined || !WORD_CHAR.test(before)) && (after === undefined || !WORD_CHAR.test(after));
}

/**
 * Every word of the phrase is a word of the name ("milk" in "whole milk", "filter" in three
 * filters). Exactly, not nearly: "iphone" is one letter from "phone" and no phone charger.
 */
function containsWords(name: Name, words: readonly string[]): boolean {
  if (name.han || words.length === 0 || words.every((word) => word.length < 3)) return false;
  return words.every((word) => name.words.includes(word));
}
