import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_CATALOG, loadCatalog } from '../../src/catalog/load.js';
import { CatalogNames } from '../../src/voice/catalog-names.js';
import { type Interpretation, Interpreter } from '../../src/voice/interpret.js';

/**
 * The utterance table (tests/fixtures/utterances.tsv): what people say to a speaker in Chinese and
 * English, and the item, quantity, question or refusal the hub must make of it, against the demo
 * catalog. One test per line, so a failure names the sentence.
 */

interface Row {
  lang: string;
  text: string;
  expect: string;
  detail: string;
  line: number;
}

const table = readFileSync(path.join(import.meta.dirname, '../fixtures/utterances.tsv'), 'utf8');
const rows: Row[] = table
  .split('\n')
  .map((line, index) => ({ line, index }))
  .filter(({ line }) => line.trim() !== '' && !line.startsWith('#'))
  .map(({ line, index }) => {
    const [lang = '', text = '', expected = '', detail = ''] = line.split('\t');
    return { lang, text, expect: expected, detail, line: index + 1 };
  });

const interpreter = new Interpreter(new CatalogNames(loadCatalog(BUNDLED_CATALOG, 'CNY')));

/** The interpretation written in the table's own notation, so a mismatch reads like the table. */
function describeResult(result: Interpretation): { expect: string; detail: string } {
  switch (result.kind) {
    case 'order':
      return { expect: 'order', detail: result.lines.map((l) => `${l.item.sku}×${l.quantity}`).join(' + ') };
    case 'choose':
      return {
        expect: 'choose',
        detail: `${result.choices.map((item) => item.sku).join(' | ')} ×${result.quantity}`,
      };
    case 'quantity_unclear':
      return { expect: 'unclear', detail: `${result.item.sku} ${result.reason}` };
    case 'price':
      return { expect: 'price', detail: result.items.map((item) => item.sku).join(' | ') };
    case 'unknown_item':
      return { expect: 'unknown', detail: result.phrase };
    case 'too_long':
      return { expect: 'too_long', detail: String(result.length) };
    default:
      return { expect: result.kind, detail: '' };
  }
}

describe('the utterance table', () => {
  it('holds at least 150 utterances, in both languages', () => {
    expect(rows.length).toBeGreaterThanOrEqual(150);
    expect(rows.filter((row) => row.lang === 'zh').length).toBeGreaterThanOrEqual(75);
    expect(rows.filter((row) => row.lang === 'en').length).toBeGreaterThanOrEqual(75);
    expect(new Set(rows.map((row) => row.text)).size).toBe(rows.length);
  });

  it.each(
    rows.map((row) => [`${row.lang} "${row.text}" -> ${row.expect} ${row.detail}`.trim(), row] as const),
  )('%s', (_name, row) => {
    const result = interpreter.interpret(row.text);
    expect(result.lang, `language of line ${row.line}`).toBe(row.lang);
    const got = describeResult(result);
    // An unknown item's phrase is checked only where the table gives one.
    const detail = row.expect === 'unknown' && row.detail === '' ? '' : got.detail;
    expect({ expect: got.expect, detail }, `line ${row.line}`).toEqual({
      expect: row.expect,
      detail: row.detail,
    });
  });
});
