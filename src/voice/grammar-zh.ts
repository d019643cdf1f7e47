import { type Grammar, ITEM_MARK, LIST_MARK, type SpokenQuantity } from './grammar.js';
import { CHINESE_NUMBER, parseChineseNumber } from './numbers-zh.js';
import { ZH_UNIT_PATTERN } from './units.js';

/**
 * Mandarin as people talk to a speaker: "帮我买两袋猫粮", "猫粮来两袋", "再来一箱牛奶吧", "家里猫砂没了,
 * 买一袋", "小爱同学,钱包还有多少钱". Fillers are dropped, the measure word after a numeral is the
 * unit, 俩 and 仨 need none, 一打 is twelve.
 */

/** Politeness, wake phrases, verbs of buying and particles: never part of an item. Longest first. */
const FILLERS = [
  '小爱同学',
  '天猫精灵',
  '小度小度',
  '你好',
  '嘿',
  '那个',
  '麻烦你',
  '麻烦',
  '请你',
  '请',
  '帮我们',
  '帮我',
  '帮忙',
  '给我们',
  '给我',
  '替我',
  '我想要',
  '我想买',
  '我想',
  '我要',
  '想要',
  '我们需要',
  '我需要',
  '需要',
  '我们要',
  '购买',
  '下单',
  '下个单',
  '订购',
  '订',
  '加购',
  '加到购物车',
  '购物车',
  '再来',
  '再买',
  '再要',
  '再加',
  '买点',
  '来点',
  '要点',
  '买些',
  '来些',
  '来',
  '买',
  '要',
  '加',
  '一下',
  '一点儿',
  '一点',
  '一些',
  '点儿',
  '吧',
  '呗',
  '啊',
  '呀',
  '哦',
  '嘛',
  '了',
  '的',
  '谢谢你',
  '谢谢',
  '好吗',
  '可以吗',
  '行吗',
  '好不好',
  '快',
  '用完',
  '没有',
  '没',
  '家里',
  '就',
  '再',
  '给',
  '帮',
  '还',
  '都',
  '也',
  '新的',
  '一起',
  '不对',
  '不是',
  '我是说',
  '应该是',
  '改成',
  '各',
  '可以',
  '可不可以',
  '能不能',
  '能否',
  '吗',
  '呢',
].sort((a, b) => b.length - a.length);

const LEADING_FILLER = new RegExp(`^(?:${FILLERS.join('|')})`);
const TRAILING_FILLER = new RegExp(`(?:${FILLERS.join('|')})$`);
/** Measure words that stand alone for "one" after a verb; not 听 (要听 is "want to listen"). */
const BARE_UNITS = '个|袋|盒|箱|瓶|包|台|件|罐|桶|支|提|份';

/**
 * numeral + measure word (两袋), dozens (一打, 半打), 俩 and 仨 on their own, a numeral right before an
 * item, and a measure word alone after a verb (买个, 来瓶: one).
 */
const QUANTITY = new RegExp(
  `(${CHINESE_NUMBER}|几|多少|俩|仨)(${ZH_UNIT_PATTERN})|(一|两|半|${CHINESE_NUMBER})打|(俩|仨)|(${CHINESE_NUMBER})(?=${ITEM_MARK})|(?<=[买来要订换加])(${BARE_UNITS})`,
  'g',
);

export const zhGrammar: Grammar = {
  lang: 'zh',
  cancel: /取消|不要了|不用了|别买了|不买了|算了|撤销|撤回|退掉|别下单了/,
  spending:
    /花了多少|花多少|花掉多少|花费|消费了?多少|消费情况|支出|开销|开支|花销|用了多少钱|用掉多少钱|花了几|账单/,
  balance: /余额|还有多少钱|还剩多少|剩多少钱|剩下多少钱|有多少钱|钱包里?还?有多少|钱还够|钱够不够|还有钱吗/,
  price: /多少钱|什么价|价格|价钱|几块钱|怎么卖|贵不贵|有没有|有卖|卖不卖/,
  questionWords:
    /多少钱|什么价|价格是?|价钱|几块钱|怎么卖|贵不贵|有没有|有卖|卖不卖|还有|有|吗|呢|么|现在|一(?=[袋盒箱瓶包个台件罐桶支提])|[袋盒箱瓶包个台件罐桶支提]/g,
  question: /[吗么]$|有没有/,
  reorder:
    /再来一单|再下一单|再订一次|再买一次|再来一次|再来一份|重复上次|和上次一样|跟上次一样|照上次|上次那单|上次的|老样子|照旧|还是那些|一样的再来/,
  negation: /不要买|别买|不用买|不买|别下单|不用下单|不要下单|不要订|别订|先不买/,
  orderVerb: /买|下单|订购|订|加购/,
  connector: new RegExp(`${LIST_MARK}|和|跟|与|还有|再加上|再加|加上|以及|外加|另外|顺便`),

  quantities(text) {
    const found: SpokenQuantity[] = [];
    for (const match of text.matchAll(QUANTITY)) {
      const at = match.index ?? 0;
      const end = at + match[0].length;
      if (match[1] !== undefined) {
        found.push({ value: numberOf(match[1]), unit: match[2], at, end });
      } else if (match[3] !== undefined) {
        const count = match[3] === '半' ? 0.5 : parseChineseNumber(match[3]);
        found.push({ value: count === undefined ? undefined : count * 12, dozen: true, at, end });
      } else if (match[4] !== undefined) {
        found.push({ value: match[4] === '俩' ? 2 : 3, at, end });
      } else if (match[5] !== undefined) {
        // A numeral right before the item with the measure word swallowed by the recognizer.
        const value = parseChineseNumber(match[5]);
        if (value !== undefined) found.push({ value, at, end });
      } else if (match[6] !== undefined) {
        found.push({ value: 1, unit: match[6], at, end });
      }
    }
    return found;
  },

  itemPhrase(text) {
    // Fillers come off the edges only: inside a phrase they may be part of a name nobody stocks
    // ("点心"), and "没有找到心" would be a silly answer.
    return text
      .replace(QUANTITY, ' ')
      .split(new RegExp(`\\s|${ITEM_MARK}`))
      .map(stripEdges)
      .join('');
  },

  ordinal(text) {
    if (/最后|后面那|后一个|后边那|最后那/.test(text)) return 'last';
    if (/前面那|前一个|前边那/.test(text)) return 0;
    const match = /第([一二两三四五六七八九十0-9]+)/.exec(text);
    if (!match) return undefined;
    const value = parseChineseNumber(match[1] as string);
    return value === undefined || value < 1 ? undefined : value - 1;
  },
};

/** 几 and 多少 are quantities nobody can pay for. */
function numberOf(text: string): number | undefined {
  if (text === '几' || text === '多少') return undefined;
  if (text === '俩') return 2;
  if (text === '仨') return 3;
  return parseChineseNumber(text);
}

function stripEdges(piece: string): string {
  let text = piece;
  for (;;) {
    const next = text.replace(LEADING_FILLER, '').replace(TRAILING_FILLER, '');
    if (next === text) return text;
    text = next;
  }
}
