import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectLang, langFromTag, normalizeText } from '../../src/voice/language.js';
import { englishCount, englishQuantityAt } from '../../src/voice/numbers-en.js';
import { chineseCount, parseChineseNumber } from '../../src/voice/numbers-zh.js';
import { spokenMoney } from '../../src/voice/phrases.js';

describe('Chinese numerals', () => {
  it.each([
    ['一', 1],
    ['二', 2],
    ['两', 2],
    ['三', 3],
    ['十', 10],
    ['十二', 12],
    ['二十', 20],
    ['二十五', 25],
    ['一百', 100],
    ['一百零五', 105],
    ['一百一十', 110],
    ['两百', 200],
    ['两百五', 250],
    ['一千二', 1200],
    ['两千零二十', 2020],
    ['三万五', 35_000],
    ['十万', 100_000],
    ['零', 0],
    ['贰拾叁', 23],
    ['12', 12],
  ])('reads %s as %i', (text, value) => {
    expect(parseChineseNumber(text)).toBe(value);
  });

  it.each(['一二', '十十', '百', '千五', '万', '', '两两'])('refuses %j, which is not a number', (text) => {
    expect(parseChineseNumber(text)).toBeUndefined();
  });

  it.each([
    [1, '一'],
    [2, '两'],
    [10, '十'],
    [12, '十二'],
    [20, '二十'],
    [22, '二十二'],
    [100, '一百'],
    [105, '一百零五'],
    [110, '一百一十'],
    [200, '两百'],
    [1005, '一千零五'],
    [2050, '两千零五十'],
  ])('says %i before a measure word as %s', (value, text) => {
    expect(chineseCount(value)).toBe(text);
  });

  it('reads back every count it says, from 0 to 9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), (n) => parseChineseNumber(chineseCount(n)) === n),
    );
  });
});

describe('English quantities', () => {
  const at = (text: string) => englishQuantityAt(text.split(' '), 0);

  it.each([
    ['two', 2],
    ['2', 2],
    ['twelve', 12],
    ['twenty five', 25],
    ['a hundred', 100],
    ['one hundred and five', 105],
    ['a couple of', 2],
    ['a pair of', 2],
    ['a', 1],
    ['an', 1],
    ['some', 1],
    ['another', 1],
  ])('reads "%s" as %i', (text, value) => {
    expect(at(text)).toMatchObject({ value });
  });

  it('counts dozens as dozens, and calls a few or several unclear', () => {
    expect(at('a dozen')).toEqual({ kind: 'dozen', value: 12, length: 2 });
    expect(at('half a dozen')).toEqual({ kind: 'dozen', value: 6, length: 3 });
    expect(at('two dozen')).toEqual({ kind: 'dozen', value: 24, length: 2 });
    expect(at('a few')).toEqual({ kind: 'unclear', length: 2 });
    expect(at('several')).toEqual({ kind: 'unclear', length: 1 });
    expect(at('cat')).toBeUndefined();
  });

  it('says small counts in words and larger ones in digits', () => {
    expect([1, 2, 12, 20, 21, 100].map(englishCount)).toEqual([
      'one',
      'two',
      'twelve',
      'twenty',
      '21',
      '100',
    ]);
  });
});

describe('money as a speaker says it', () => {
  it.each([
    [8900, '89元', '89 yuan'],
    [3870, '38.7元', '38 yuan 70'],
    [3875, '38.75元', '38 yuan 75'],
    [3805, '38.05元', '38 yuan and 5 fen'],
    [50, '0.5元', '50 fen'],
    [1, '0.01元', '1 fen'],
    [100_000, '1000元', '1000 yuan'],
  ])('says %i fen as %s and %s', (amount, zh, en) => {
    expect(spokenMoney(amount, 'zh')).toBe(zh);
    expect(spokenMoney(amount, 'en')).toBe(en);
  });

  it('never goes through a float: every amount reads back to the same fen', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000 }), (amount) => {
        const [yuan = '', fraction = ''] = spokenMoney(amount, 'zh').replace('元', '').split('.');
        return Number(yuan) * 100 + Number(fraction.padEnd(2, '0')) === amount;
      }),
    );
  });
});

describe('language and text', () => {
  it('detects Chinese from any Chinese character, English from latin letters alone', () => {
    expect(detectLang('帮我买两个Mi Band')).toBe('zh');
    expect(detectLang('order two bags of cat food')).toBe('en');
    expect(detectLang('123 !!')).toBeUndefined();
    expect(langFromTag('zh-CN')).toBe('zh');
    expect(langFromTag('en_US')).toBe('en');
    expect(langFromTag('de-DE')).toBeUndefined();
  });

  it('normalizes full-width text, punctuation and Rhasspy word spacing the same way', () => {
    expect(normalizeText('帮 我 买 两 袋 猫粮。')).toBe('帮我买两袋猫粮');
    expect(normalizeText('ＯＲＤＥＲ  two bags, of Cat-Food!')).toBe('order two bags of cat food');
    expect(normalizeText("What's my balance?")).toBe('whats my balance');
  });
});
