import type { CatalogItem } from '../catalog/schema.js';
import type { IntentStatus } from '../payments/intent.js';
import type { Lang } from './language.js';
import { englishCount } from './numbers-en.js';
import { chineseCount } from './numbers-zh.js';
import type { PolicyRefusal } from './policy.js';
import { pluralize } from './units.js';

/**
 * Everything a speaker says, in Chinese and in English, written as a person would say it: short,
 * the amount in yuan the way people read it out ("共38.7元", "38 yuan 70"), and every refusal with
 * its reason. Nothing else in the voice domain builds a sentence.
 */

export interface SpokenLine {
  item: CatalogItem;
  quantity: number;
}

/** Category names for refusals; a category the catalog invents reads as "this kind of item". */
const CATEGORY_NAMES: Readonly<Record<string, { zh: string; en: string }>> = {
  pets: { zh: '宠物用品', en: 'pet supplies' },
  groceries: { zh: '食品杂货', en: 'groceries' },
  drinks: { zh: '饮料', en: 'drinks' },
  alcohol: { zh: '酒类', en: 'alcohol' },
  household: { zh: '日用品', en: 'household goods' },
  personal_care: { zh: '个人护理用品', en: 'personal care products' },
  electronics: { zh: '电子产品', en: 'electronics' },
  smart_home: { zh: '智能家居产品', en: 'smart home products' },
  appliances: { zh: '家电', en: 'appliances' },
  baby: { zh: '母婴用品', en: 'baby products' },
};

/** Money as people say it: 89元, 38.7元, 38.75元; 89 yuan, 38 yuan 70, 50 fen. From minor units. */
export function spokenMoney(amount: number, lang: Lang, currency = 'CNY'): string {
  const major = Math.floor(amount / 100);
  const minor = amount % 100;
  if (currency !== 'CNY') return `${major}.${String(minor).padStart(2, '0')} ${currency}`;
  if (lang === 'zh') {
    if (minor === 0) return `${major}元`;
    const decimals = minor % 10 === 0 ? String(minor / 10) : String(minor).padStart(2, '0');
    return `${major}.${decimals}元`;
  }
  if (minor === 0) return `${major} yuan`;
  if (major === 0) return `${minor} fen`;
  if (minor < 10) return `${major} yuan and ${minor} fen`;
  return `${major} yuan ${minor}`;
}

/** "两袋猫粮" / "two bags of cat food" / "two Mi Smart Plug 3". */
export function spokenLine(line: SpokenLine, lang: Lang): string {
  const { item, quantity } = line;
  if (lang === 'zh') return `${chineseCount(quantity)}${item.units.zh}${item.names.zh[0]}`;
  const name = item.names.en[0] as string;
  const unit = item.units.en;
  if (unit === 'piece') return `${englishCount(quantity)} ${name}`;
  return `${englishCount(quantity)} ${quantity === 1 ? unit : pluralize(unit)} of ${name}`;
}

export function spokenLines(lines: SpokenLine[], lang: Lang): string {
  const parts = lines.map((line) => spokenLine(line, lang));
  if (lang === 'zh') return parts.join('、');
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

function itemName(item: CatalogItem, lang: Lang): string {
  return lang === 'zh' ? (item.names.zh[0] as string) : (item.names.en[0] as string);
}

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function or(words: string[], lang: Lang): string {
  if (lang === 'zh')
    return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join('、')}还是${words.at(-1)}`;
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

export const phrases = {
  /** SPEC: "两袋猫粮,共89元,请在手机上确认" / "Two bags of cat food, 89 yuan. Please confirm on your phone." */
  readBack(
    lines: SpokenLine[],
    amount: number,
    discount: number,
    lang: Lang,
    currency: string,
    payments = 1,
  ): string {
    const what = spokenLines(lines, lang);
    if (lang === 'zh') {
      const off = discount > 0 ? `,优惠${spokenMoney(discount, lang, currency)}` : '';
      const split = payments > 1 ? `,分${chineseCount(payments)}笔付款` : '';
      return `${what}${off},共${spokenMoney(amount, lang, currency)}${split},请在手机上确认`;
    }
    const off = discount > 0 ? `, ${spokenMoney(discount, lang, currency)} off` : '';
    const split = payments > 1 ? ` in ${englishCount(payments)} payments` : '';
    return `${sentence(what)}${off}, ${spokenMoney(amount, lang, currency)}${split}. Please confirm on your phone.`;
  },

  outcome(status: IntentStatus, lines: SpokenLine[], amount: number, lang: Lang, currency: string): string {
    const what = spokenLines(lines, lang);
    const money = spokenMoney(amount, lang, currency);
    if (lang === 'zh') {
      switch (status) {
        case 'succeeded':
          return `付款成功:${what},共${money},已下单。`;
        case 'denied':
          return `手机上拒绝了这笔付款,${what}没有下单。`;
        case 'expired':
          return `手机上一直没有确认,${what}的订单已过期。`;
        case 'failed':
          return `付款失败,${what}没有下单,钱没有扣。`;
        case 'canceled':
          return `${what}的订单已取消。`;
        default:
          return `${what}的订单正在处理。`;
      }
    }
    switch (status) {
      case 'succeeded':
        return `Payment succeeded: ${what}, ${money}. It's on its way.`;
      case 'denied':
        return `The payment for ${what} was declined on the phone; nothing was ordered.`;
      case 'expired':
        return `Nobody confirmed on a phone in time, so the order for ${what} expired.`;
      case 'failed':
        return `The payment for ${what} failed; nothing was ordered and no money was taken.`;
      case 'canceled':
        return `The order for ${what} was canceled.`;
      default:
        return `The order for ${what} is being processed.`;
    }
  },

  /** A redelivered utterance: the order it made, as it stands now. */
  alreadyOrdered(
    status: IntentStatus,
    lines: SpokenLine[],
    amount: number,
    lang: Lang,
    currency: string,
  ): string {
    if (status === 'requires_approval') return phrases.readBack(lines, amount, 0, lang, currency);
    return phrases.outcome(status, lines, amount, lang, currency);
  },

  refusal(refusal: PolicyRefusal, lang: Lang, currency: string): string {
    const zh = lang === 'zh';
    switch (refusal.reason) {
      case 'household_off':
        return zh ? '家里的语音下单已关闭。' : 'Voice ordering is turned off for the whole home.';
      case 'ordering_off':
        return zh ? '这个音箱不能下单。' : 'Ordering is turned off on this speaker.';
      case 'voice_profile':
        return zh
          ? '抱歉,这个音箱只接受家里指定成员的声音下单。'
          : "Sorry, this speaker only takes orders from the household's registered voices.";
      case 'quiet_hours':
        return zh
          ? `现在是免打扰时间(${refusal.from}到${refusal.to}),不能下单。`
          : `It's quiet hours (${refusal.from} to ${refusal.to}), so I can't place orders now.`;
      case 'category': {
        const name = CATEGORY_NAMES[refusal.category];
        return zh
          ? `这个音箱不能买${name?.zh ?? '这类商品'}。`
          : `This speaker isn't allowed to order ${name?.en ?? 'that kind of item'}.`;
      }
      case 'quantity':
        return zh
          ? `${itemName(refusal.item, lang)}一次最多买${chineseCount(refusal.max)}${refusal.item.units.zh}。`
          : `I can order at most ${englishCount(refusal.max)} of ${itemName(refusal.item, lang)} at a time.`;
      case 'max_per_order':
        return zh
          ? `这单共${spokenMoney(refusal.amount, lang, currency)},超过了这个音箱每单${spokenMoney(refusal.max, lang, currency)}的上限。`
          : `That comes to ${spokenMoney(refusal.amount, lang, currency)}, over this speaker's limit of ${spokenMoney(refusal.max, lang, currency)} per order.`;
      case 'daily_cap':
        return zh
          ? `今天这个音箱已经下单${spokenMoney(refusal.already, lang, currency)},再买${spokenMoney(refusal.amount, lang, currency)}就超过每天${spokenMoney(refusal.cap, lang, currency)}的上限了。`
          : `This speaker has ordered ${spokenMoney(refusal.already, lang, currency)} today; another ${spokenMoney(refusal.amount, lang, currency)} would pass its daily limit of ${spokenMoney(refusal.cap, lang, currency)}.`;
    }
  },

  insufficientFunds(short: number, lang: Lang, currency: string): string {
    return lang === 'zh'
      ? `钱包余额不够,还差${spokenMoney(short, lang, currency)},没有下单。`
      : `The wallet is ${spokenMoney(short, lang, currency)} short, so nothing was ordered.`;
  },

  choose(items: CatalogItem[], lang: Lang): string {
    const names = items.map((item) => itemName(item, lang));
    return lang === 'zh' ? `你要的是${or(names, lang)}?` : `Did you mean ${or(names, lang)}?`;
  },

  oneAtATime(lang: Lang): string {
    return lang === 'zh'
      ? '有几样东西我不确定是哪一种,请一样一样说。'
      : "I'm not sure which of several items you mean. Please order them one at a time.";
  },

  unknownItem(phrase: string, lang: Lang): string {
    const shown = [...phrase].slice(0, 20).join('');
    return lang === 'zh' ? `没有找到"${shown}",换个说法试试?` : `I couldn't find "${shown}" in the catalog.`;
  },

  quantityUnclear(
    item: CatalogItem,
    reason: 'vague' | 'unit' | 'zero',
    lang: Lang,
    currency: string,
  ): string {
    const price = spokenMoney(item.price, lang, currency);
    if (lang === 'zh') {
      const unit = item.units.zh;
      if (reason === 'unit') return `${item.names.zh[0]}按${unit}卖,一${unit}${price}。要几${unit}?`;
      if (reason === 'zero') return `要买几${unit}${item.names.zh[0]}?`;
      return `${item.names.zh[0]}要几${unit}?请说具体数量。`;
    }
    const name = item.names.en[0] as string;
    const unit = item.units.en === 'piece' ? 'one' : item.units.en;
    const plural = item.units.en === 'piece' ? 'of them' : pluralize(item.units.en);
    if (reason === 'unit')
      return `${sentence(name)} comes by the ${unit}, ${price} each. How many ${plural}?`;
    return `How many ${plural} of ${name}? Please say a number.`;
  },

  price(items: CatalogItem[], lang: Lang, currency: string): string {
    if (lang === 'zh') {
      return `${items.map((item) => `${item.names.zh[0]}${spokenMoney(item.price, lang, currency)}一${item.units.zh}`).join(',')}。`;
    }
    const parts = items.map((item) => {
      const per = item.units.en === 'piece' ? 'each' : `a ${item.units.en}`;
      return `${item.names.en[0]} is ${spokenMoney(item.price, lang, currency)} ${per}`;
    });
    return `${sentence(parts.join('; '))}.`;
  },

  balance(available: number, held: number, lang: Lang, currency: string): string {
    if (lang === 'zh') {
      const pending = held > 0 ? `,另有${spokenMoney(held, lang, currency)}在等手机确认` : '';
      return `钱包还有${spokenMoney(available, lang, currency)}可用${pending}。`;
    }
    const pending = held > 0 ? `, with ${spokenMoney(held, lang, currency)} more waiting for a phone` : '';
    return `The wallet has ${spokenMoney(available, lang, currency)} available${pending}.`;
  },

  spending(amount: number, lang: Lang, currency: string): string {
    if (amount <= 0) return lang === 'zh' ? '这个月还没有花钱。' : "You haven't spent anything this month.";
    return lang === 'zh'
      ? `这个月已经花了${spokenMoney(amount, lang, currency)}。`
      : `You've spent ${spokenMoney(amount, lang, currency)} this month.`;
  },

  canceled(lines: SpokenLine[], lang: Lang): string {
    const what = spokenLines(lines, lang);
    return lang === 'zh' ? `好的,已取消${what}的订单。` : `OK, I canceled the order for ${what}.`;
  },

  nothingToCancel(lang: Lang): string {
    return lang === 'zh' ? '没有等待确认的订单。' : "There's no order waiting to be confirmed.";
  },

  choiceDropped(lang: Lang): string {
    return lang === 'zh' ? '好的,不买了。' : "OK, I won't order anything.";
  },

  declined(lang: Lang): string {
    return lang === 'zh' ? '好的,不下单。' : "OK, I won't order it.";
  },

  nothingToReorder(lang: Lang): string {
    return lang === 'zh'
      ? '这个音箱还没有成功的订单,没法再来一单。'
      : "There's no earlier order from this speaker to repeat.";
  },

  reorderItemGone(lang: Lang): string {
    return lang === 'zh'
      ? '上次买的东西现在不卖了,请直接说要买什么。'
      : "What you ordered last time isn't sold any more. Please tell me what to order.";
  },

  notUnderstood(lang: Lang): string {
    return lang === 'zh'
      ? '抱歉,我没听懂。可以说"帮我买两袋猫粮"。'
      : `Sorry, I didn't understand. You can say "order two bags of cat food".`;
  },

  empty(lang: Lang): string {
    return lang === 'zh' ? '我没听清,请再说一遍。' : "Sorry, I didn't catch that. Please say it again.";
  },

  tooLong(lang: Lang): string {
    return lang === 'zh'
      ? '这句话太长了,请简短地说要买什么。'
      : 'That was too long for me. Please tell me briefly what to order.';
  },

  failed(lang: Lang): string {
    return lang === 'zh'
      ? '抱歉,出了点问题,没有下单。'
      : 'Sorry, something went wrong, so nothing was ordered.';
  },
};
