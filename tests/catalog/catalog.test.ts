import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  BUNDLED_CATALOG,
  CatalogError,
  loadCatalog,
  parseCatalog,
  resolveCatalogFile,
} from '../../src/catalog/load.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { fundWallet, pairPhone } from '../helpers/phone.js';
import { connectSpeaker } from '../voice/voice-helpers.js';

const hubs: TestHub[] = [];
afterAll(async () => {
  for (const hub of hubs) await hub.stop().catch(() => {});
});

function tempFile(name: string, text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'homepay-catalog-')), name);
  writeFileSync(file, text);
  return file;
}

describe('the demo catalog', () => {
  const catalog = loadCatalog(BUNDLED_CATALOG, 'CNY');

  it('writes the cat food item exactly as SPEC shows it', () => {
    expect(catalog.currency).toBe('CNY');
    expect(catalog.merchants).toContainEqual({ id: 'mi_store', name: '小米商城', ecosystem: true });
    expect(catalog.items.find((item) => item.sku === 'cat-food-2kg')).toEqual({
      sku: 'cat-food-2kg',
      merchant: 'mi_store',
      category: 'pets',
      price: 4450,
      names: { zh: ['猫粮', '猫咪粮食'], en: ['cat food', 'cat kibble'] },
      units: { zh: '袋', en: 'bag' },
    });
  });

  it('has at least 30 items, each named in Chinese and English, priced in whole fen', () => {
    expect(catalog.items.length).toBeGreaterThanOrEqual(30);
    for (const item of catalog.items) {
      expect(item.names.zh.length, item.sku).toBeGreaterThan(0);
      expect(item.names.en.length, item.sku).toBeGreaterThan(0);
      expect(Number.isSafeInteger(item.price) && item.price > 0, item.sku).toBe(true);
    }
  });

  it('sells Mi ecosystem products from ecosystem merchants, and other goods from others', () => {
    const ecosystem = new Set(catalog.merchants.filter((m) => m.ecosystem).map((m) => m.id));
    const mi = catalog.items.filter((item) => ecosystem.has(item.merchant));
    expect(mi.length).toBeGreaterThanOrEqual(10);
    expect(mi.map((item) => item.names.zh[0])).toEqual(
      expect.arrayContaining(['小米手环8', '米家空气净化器4']),
    );
    expect(catalog.items.length - mi.length).toBeGreaterThanOrEqual(10);
  });
});

describe('loading a catalog', () => {
  const good = parseYaml(readFileSync(BUNDLED_CATALOG, 'utf8')) as {
    items: Array<Record<string, unknown>>;
    merchants: unknown[];
  };

  it('lists every problem of a broken catalog at once', () => {
    const broken = {
      currency: 'USD',
      merchants: [{ id: 'mi_store', name: '小米商城' }],
      items: [
        {
          sku: 'a',
          merchant: 'mi_store',
          category: 'pets',
          price: 4450,
          names: { zh: ['猫粮'], en: ['cat food'] },
          units: { zh: '袋', en: 'bag' },
        },
        {
          sku: 'a',
          merchant: 'nowhere',
          category: 'pets',
          price: 100,
          names: { zh: ['狗粮'], en: ['x'] },
          units: { zh: '袋', en: 'bag' },
        },
        {
          sku: 'b',
          merchant: 'mi_store',
          category: 'pets',
          price: 100,
          names: { zh: ['猫粮'], en: ['y'] },
          units: { zh: '袋', en: 'bag' },
        },
      ],
    };
    expect(() => parseCatalog(broken, 'CNY')).toThrow(CatalogError);
    try {
      parseCatalog(broken, 'CNY');
    } catch (err) {
      expect((err as CatalogError).problems).toEqual([
        'currency: the catalog prices in USD, the wallet pays in CNY',
        'items[1] (a): sku "a" is listed twice',
        'items[1] (a): merchant "nowhere" is not in merchants',
        'items[2] (b): the name "猫粮" also belongs to a',
      ]);
    }
  });

  it('refuses a price in yuan with decimals and an unknown key, naming where', () => {
    const item = { ...good.items[0], price: 44.5, colour: 'blue' };
    try {
      parseCatalog({ ...good, items: [item] }, 'CNY');
      expect.unreachable();
    } catch (err) {
      expect((err as CatalogError).problems).toEqual(
        expect.arrayContaining(['items[0].price: must be integer', 'items[0]: unknown key "colour"']),
      );
    }
  });

  it('uses the bundled demo catalog when the default path has no file, and refuses a chosen path that does not exist', () => {
    expect(resolveCatalogFile(path.join(tmpdir(), 'elsewhere', 'config', 'catalog.yaml'))).toEqual({
      file: BUNDLED_CATALOG,
      bundled: true,
    });
    const own = tempFile('shop.yaml', 'currency: CNY');
    expect(resolveCatalogFile(own)).toEqual({ file: own, bundled: false });
    expect(() => resolveCatalogFile('/nonexistent/my-shop.yaml')).toThrow(/does not exist/);
  });

  it('stops a hub from starting with a broken catalog, saying what is wrong', async () => {
    const file = tempFile('catalog.yaml', 'currency: CNY\nmerchants: []\nitems: []\n');
    await expect(startHub({ overrides: { catalog: file } })).rejects.toThrow(
      /merchants: must NOT have fewer than 1 items/,
    );
  });

  it('orders from the catalog the `catalog` setting names', async () => {
    const file = tempFile(
      'tea.yaml',
      [
        'currency: CNY',
        'merchants: [{id: tea_house, name: 茶馆}]',
        'items:',
        '  - {sku: longjing-250g, merchant: tea_house, category: drinks, price: 16800,',
        '     names: {zh: [龙井, 西湖龙井], en: [longjing tea, dragon well tea]}, units: {zh: 罐, en: tin}}',
      ].join('\n'),
    );
    const hub = await startHub({ overrides: { catalog: file } });
    hubs.push(hub);
    await fundWallet(hub, await pairPhone(hub), 50_000);
    const speaker = await connectSpeaker(hub);
    await speaker.utter('来两罐西湖龙井', 'tea-1');
    expect(await speaker.inbox.nextText()).toBe('两罐龙井,共336元,请在手机上确认');
    await speaker.utter('帮我买两袋猫粮', 'tea-2');
    expect(await speaker.inbox.nextText()).toBe('没有找到"猫粮",换个说法试试?');
    await speaker.inbox.close();
  });
});
