import { type Grammar, ITEM_MARK, LIST_MARK, type SpokenQuantity } from './grammar.js';
import { englishQuantityAt } from './numbers-en.js';
import { EN_UNITS } from './units.js';

/**
 * English as people talk to a speaker: "order two bags of cat food", "can you get me a couple of
 * boxes of eggs please", "we need more dish soap", "cat food, two bags", "add a dozen smart bulbs
 * to my cart". Text arrives normalized: lower case, no punctuation, "what's" as "whats".
 */

/** Phrases that carry no item, longest first so "i would like" goes before "i". */
const FILLER_PHRASES = [
  'hey google',
  'hey siri',
  'ok google',
  'alexa',
  'hey',
  'hi',
  'hello',
  'ok',
  'okay',
  'um',
  'uh',
  'erm',
  'so',
  'please',
  'pls',
  'thanks',
  'thank you',
  'cheers',
  'can you',
  'could you',
  'would you',
  'will you',
  'can i get',
  'can i have',
  'could i get',
  'could i have',
  'can we get',
  'i want to',
  'i want',
  'i wanna',
  'i would like to',
  'i would like',
  'id like to',
  'id like',
  'we would like',
  'wed like',
  'i need to',
  'i need',
  'we need',
  'we want',
  'lets get',
  'lets order',
  'let us get',
  'go ahead and',
  'put in an order for',
  'place an order for',
  'make an order for',
  'an order for',
  'order for',
  'order',
  'buy',
  'purchase',
  'get me',
  'get us',
  'get',
  'grab me',
  'grab',
  'send me',
  'send us',
  'bring me',
  'pick up',
  'add',
  'to my cart',
  'to the cart',
  'to my basket',
  'to the shopping list',
  'to my shopping list',
  'to the list',
  'for me',
  'for us',
  'me',
  'us',
  'ill have',
  'ill take',
  'ill get',
  'we are out of',
  'were out of',
  'were running low on',
  'running low on',
  'we ran out of',
  'ran out of',
  'more',
  'some',
  'another',
  'the',
  'of',
  'for',
  'just',
  'also',
  'too',
  'again',
  'right now',
  'now',
  'today',
  'asap',
  'quickly',
  'new',
  'no wait',
  'sorry',
  'i mean',
  'actually',
  'make it',
  'each',
].sort((a, b) => b.split(' ').length - a.split(' ').length || b.length - a.length);

const FILLER_WORDS = FILLER_PHRASES.map((phrase) => phrase.split(' '));

export const enGrammar: Grammar = {
  lang: 'en',
  cancel:
    /\b(cancel|never ?mind|forget (it|that|about it|the order)|scrap (that|it|the order)|call (it|that) off|dont (order|buy) (it|that|anything)|stop the order|undo)\b/,
  spending:
    /\b(how much (did|have|has) (i|we|the (house|household|family)) (spend|spent|paid|pay)|how much (did|have) we spend|(what|how much) (have|did) (i|we) (spent|spend)|my spending|our spending|spending (this|for the) month|spent this month|how much went out|monthly spend|spend so far)\b/,
  balance:
    /\b(balance|how much (money )?(is |do (i|we) have |have (i|we) got |have we |have i )?(left )?(in|on) (my|the|our) (wallet|account)|how much (money )?(do|have) (i|we) (have|got)( left)?|how much money (is )?left|whats (left )?in (my|the|our) wallet|how much is left|money left|wallet have|funds)\b/,
  price:
    /^(how much (is|are|does|do|for|would)|whats the price|what is the price|what does .+ cost|what do .+ cost|(the )?price (of|for)|how expensive|do (you|we) (have|sell|carry|stock)|have you got|is there any|are there any)\b/,
  questionWords:
    /\b(how much (is|are|does|do|for|would)( it)?( cost)?|whats the price (of|for)|what is the price (of|for)|what (does|do)|cost|(the )?price (of|for)|how expensive (is|are)|do (you|we) (have|sell|carry|stock)( any)?|have you got( any)?|(is|are) there any|left|at home|in stock|a|an|the|one|per|each)\b/g,
  question: /^(do|does|is|are|have|has) /,
  reorder:
    /\b(reorder|re order|(order|buy|get) (it |that |the same( thing)? |the same stuff )?again|same (order |thing )?as (last time|before)|repeat (my |the |our )?(last |previous )?order|the usual|same again|order the same|last order again)\b/,
  negation: /\b(dont|do not|no need to|not) (order|buy|get|purchase)\b/,
  orderVerb: /\b(order|buy|purchase|get me|get us|add)\b/,
  connector: new RegExp(`${LIST_MARK}|\\band\\b|\\bplus\\b|\\balso\\b|\\bas well as\\b`),

  quantities(text) {
    const words = text.split(' ');
    const found: SpokenQuantity[] = [];
    for (let i = 0; i < words.length; i++) {
      const quantity = englishQuantityAt(words, i);
      if (!quantity) continue;
      let end = i + quantity.length;
      const unit = EN_UNITS[words[end] ?? ''] === undefined ? undefined : (words[end] as string);
      if (unit) end++;
      if (words[end] === 'of') end++;
      if (words[end] === 'the' || words[end] === 'those' || words[end] === 'that') end++;
      const beforeItem = words[end] === ITEM_MARK;
      const afterTimes = words[i - 1] === 'times' || words[i - 1] === 'x';
      if (quantity.kind === 'unclear') {
        found.push({ value: undefined, ...(unit ? { unit } : {}), at: i, end });
      } else if (quantity.kind === 'dozen') {
        found.push({ value: quantity.value, ...(unit ? { unit } : {}), dozen: !unit, at: i, end });
      } else if (unit || beforeItem || afterTimes) {
        // A bare number elsewhere ("at 5", "Mi Band 8" misheard) is not a quantity.
        if (quantity.implicit && !unit && !beforeItem) continue;
        found.push({ value: quantity.value, ...(unit ? { unit } : {}), at: i, end });
      } else {
        continue;
      }
      i = end - 1;
    }
    return found;
  },

  itemPhrase(text) {
    const words = text.split(' ').filter((word) => word.length > 0);
    const kept: string[] = [];
    const quantities = enGrammar.quantities(text);
    for (let i = 0; i < words.length; ) {
      const quantity = quantities.find((q) => q.at === i);
      if (quantity) {
        i = quantity.end;
        continue;
      }
      const filler = FILLER_WORDS.find((phrase) => phrase.every((word, k) => words[i + k] === word));
      if (filler) {
        i += filler.length;
        continue;
      }
      const word = words[i] as string;
      if (word !== ITEM_MARK && word !== 'times' && word !== 'x' && word !== 'a' && word !== 'an')
        kept.push(word);
      i++;
    }
    return kept.join(' ');
  },

  ordinal(text) {
    if (/\b(last|latter|second one of the two|other one)\b/.test(text)) return 'last';
    if (/\b(first|1st|former)\b/.test(text)) return 0;
    if (/\b(second|2nd)\b/.test(text)) return 1;
    if (/\b(third|3rd)\b/.test(text)) return 2;
    return undefined;
  },
};
