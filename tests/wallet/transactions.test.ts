import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WalletAlert } from '../../src/wallet/wallet.js';
import { openEventStream } from '../contracts/push-channel.js';
import { ManualClock } from '../helpers/clock.js';
import { startHub, type TestHub } from '../helpers/hub.js';
import { createIntent, fundWallet, pairPhone, type TestPhone } from '../helpers/phone.js';
import { approve, catFood, pay, paymentOf, placeOrder } from './wallet-helpers.js';

const clock = new ManualClock(Date.parse('2026-11-27T08:00:00.000Z'));
let hub: TestHub;
let phone: TestPhone;
let cardId: string;
const alerts: WalletAlert[] = [];
const ids: Record<string, string> = {};

beforeAll(async () => {
  hub = await startHub({ clock });
  phone = await pairPhone(hub);
  await fundWallet(hub, phone, 200_000);
  hub.hub.events.on(alerts, 'wallet.alert', (alert) => {
    alerts.push(alert);
  });
  const card = await hub.api({
    method: 'POST',
    url: '/api/funding-sources',
    payload: { kind: 'credit_card', number: '6225 8812 3456 7898', holder: '张三' },
  });
  expect(card.statusCode).toBe(201);
  cardId = card.json().id;

  // A month of household payments, each a minute apart.
  clock.advance(60_000);
  const voice = placeOrder(hub, [{ ...catFood, quantity: 2 }], { deviceId: 'dev_kitchen' }).intent;
  ids.voice = paymentOf(hub, (await approve(hub, phone, voice)).id);
  clock.advance(60_000);
  const card1 = await pay(hub, phone, {
    amount: 12_345,
    fundingSourceId: cardId,
    payee: { id: 'hema', name: '盒马鲜生' },
    description: '周末买菜, "有机"蔬菜',
  });
  ids.card = paymentOf(hub, card1.id);
  clock.advance(60_000);
  const sneaky = await pay(hub, phone, {
    amount: 500,
    payee: { id: 'evil', name: '=HYPERLINK("http://x")' },
    description: '@cmd',
  });
  ids.sneaky = paymentOf(hub, sneaky.id);
  clock.advance(60_000);
  const refund = await hub.api({
    method: 'POST',
    url: `/api/transactions/${ids.card}/refund`,
    headers: { 'idempotency-key': 'r1' },
    payload: { amount: 2345, reason: '退了一样' },
  });
  ids.refund = refund.json().id;
});
afterAll(async () => {
  await hub.stop();
});

describe('GET /api/transactions', () => {
  it('lists records newest first with payee, category, device, source and refunds', async () => {
    const response = await hub.api({ method: 'GET', url: '/api/transactions', token: phone.token });
    expect(response.statusCode).toBe(200);
    const { transactions } = response.json();
    expect(transactions.slice(0, 4).map((t: { id: string }) => t.id)).toEqual([
      ids.refund,
      ids.sneaky,
      ids.card,
      ids.voice,
    ]);
    expect(transactions[2]).toMatchObject({
      kind: 'payment',
      amount: 12_345,
      direction: 'out',
      currency: 'CNY',
      payee: { id: 'hema', name: '盒马鲜生' },
      sourceKind: 'manual',
      fundingSourceId: cardId,
      refunded: 2345,
      category: 'other',
    });
    expect(transactions[3]).toMatchObject({
      deviceId: 'dev_kitchen',
      sourceKind: 'voice',
      category: 'pets',
      amount: 8900,
    });
    expect(transactions[0]).toMatchObject({
      kind: 'refund',
      direction: 'in',
      reverses: ids.card,
      amount: 2345,
    });
    expect(transactions.at(-1)).toMatchObject({ kind: 'topup', direction: 'in', category: 'transfer' });
  });

  it('filters by time, category, payee, device and source kind', async () => {
    const list = async (query: string) =>
      (await hub.api({ method: 'GET', url: `/api/transactions?${query}` }))
        .json()
        .transactions.map((t: { id: string }) => t.id);
    expect(await list('category=pets')).toEqual([ids.voice]);
    expect(await list('payeeId=hema')).toEqual([ids.refund, ids.card]);
    expect(await list('deviceId=dev_kitchen')).toEqual([ids.voice]);
    expect(await list('sourceKind=voice')).toEqual([ids.voice]);
    expect(await list('kind=refund')).toEqual([ids.refund]);
    const from = new Date(Date.parse('2026-11-27T08:00:00.000Z') + 90_000).toISOString();
    const to = new Date(Date.parse('2026-11-27T08:00:00.000Z') + 210_000).toISOString();
    expect(await list(`from=${from}&to=${to}`)).toEqual([ids.sneaky, ids.card]);
    const bad = await hub.api({ method: 'GET', url: `/api/transactions?from=${to}&to=${from}` });
    expect(bad.json().error.code).toBe('invalid_request');
    expect(
      (await hub.api({ method: 'GET', url: '/api/transactions?sourceKind=carrier_pigeon' })).statusCode,
    ).toBe(400);
  });

  it('pages with a cursor, without repeating or skipping a record', async () => {
    const all = (await hub.api({ method: 'GET', url: '/api/transactions?limit=500' })).json().transactions;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (
        await hub.api({
          method: 'GET',
          url: `/api/transactions?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        })
      ).json() as { transactions: Array<{ id: string }>; nextCursor: string | null };
      expect(page.transactions.length).toBeLessThanOrEqual(2);
      seen.push(...page.transactions.map((t) => t.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((t: { id: string }) => t.id));
    expect(
      (await hub.api({ method: 'GET', url: '/api/transactions?cursor=garbage' })).json().error.code,
    ).toBe('invalid_request');
  });

  it('exports CSV that a spreadsheet opens with its Chinese text intact: UTF-8 BOM, CRLF, quoting, yuan from integers', async () => {
    const response = await hub.api({
      method: 'GET',
      url: '/api/transactions',
      headers: { accept: 'text/csv' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toMatch(/attachment; filename=".+\.csv"/);
    const bytes = response.rawPayload;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes).slice(1);
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([
      '交易号',
      '时间',
      '类型',
      '分类',
      '收款方',
      '金额(元)',
      '币种',
      '设备',
      '来源',
      '资金来源',
      '说明',
      '已退款(元)',
      '已举报',
    ]);
    const byId = new Map(rows.slice(1).map((row) => [row[0], row]));
    expect(byId.get(ids.card)).toEqual([
      ids.card,
      '2026-11-27 16:02:00',
      '支付',
      '其他',
      '盒马鲜生',
      '-123.45',
      'CNY',
      '',
      'manual',
      cardId,
      '周末买菜, "有机"蔬菜',
      '23.45',
      '',
    ]);
    expect(byId.get(ids.voice)?.slice(2, 8)).toEqual([
      '支付',
      '宠物',
      '小米商城',
      '-89.00',
      'CNY',
      'dev_kitchen',
    ]);
    expect(byId.get(ids.refund)?.[5]).toBe('23.45');
    // A payee name that a spreadsheet would run as a formula is shown as text.
    expect(byId.get(ids.sneaky)?.[4]).toBe(`'=HYPERLINK("http://x")`);
    expect(byId.get(ids.sneaky)?.[10]).toBe(`'@cmd`);

    const english = await hub.api({
      method: 'GET',
      url: '/api/transactions?lang=en&category=pets',
      headers: { accept: 'text/csv' },
    });
    const en = parseCsv(english.body.slice(1));
    expect(en[0]?.[0]).toBe('Transaction');
    expect(en).toHaveLength(2);
    expect(en[1]?.slice(2, 6)).toEqual(['payment', 'pets', '小米商城', '-89.00']);
  });
});

describe('POST /api/transactions/{id}/report', () => {
  it('marks a transaction suspicious and freezes its card until the admin releases it', async () => {
    const report = await hub.api({
      method: 'POST',
      url: `/api/transactions/${ids.card}/report`,
      token: phone.token,
      payload: { reason: '不是我买的' },
    });
    expect(report.statusCode).toBe(201);
    expect(report.json()).toMatchObject({
      transactionId: ids.card,
      reason: '不是我买的',
      reportedBy: `phone:${phone.phoneId}`,
      fundingSource: { id: cardId, status: 'frozen' },
    });
    expect(alerts.at(-1)).toMatchObject({
      kind: 'transaction_reported',
      data: { transactionId: ids.card, fundingSourceId: cardId },
    });
    expect(
      (await hub.api({ method: 'GET', url: `/api/transactions/${ids.card}` })).json().reportedAt,
    ).not.toBeNull();

    // Frozen: the card can pay nothing, whoever asks.
    const refused = await hub.api({
      method: 'POST',
      url: '/api/intents',
      headers: { 'idempotency-key': 'after-report' },
      payload: {
        amount: 100,
        payee: { id: 'hema', name: '盒马鲜生' },
        description: 'more',
        fundingSourceId: cardId,
      },
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('funding_source_frozen');
    // A second report of the same transaction is refused; the source stays frozen.
    const twice = await hub.api({ method: 'POST', url: `/api/transactions/${ids.card}/report`, payload: {} });
    expect(twice.json().error.code).toBe('already_reported');
    // A phone cannot release it; the admin can, and the card pays again.
    expect(
      (await hub.api({ method: 'POST', url: `/api/funding-sources/${cardId}/release`, token: phone.token }))
        .statusCode,
    ).toBe(403);
    const released = await hub.api({ method: 'POST', url: `/api/funding-sources/${cardId}/release` });
    expect(released.json().status).toBe('active');
    const paid = await pay(hub, phone, { amount: 100, fundingSourceId: cardId });
    expect(paid.status).toBe('succeeded');
  });

  it('reports a payment from the wallet balance without a source to freeze', async () => {
    const report = await hub.api({
      method: 'POST',
      url: `/api/transactions/${ids.voice}/report`,
      payload: {},
    });
    expect(report.statusCode).toBe(201);
    expect(report.json()).toMatchObject({
      reason: 'reported as suspicious',
      reportedBy: 'admin',
      fundingSource: null,
    });
    expect(
      (await hub.api({ method: 'POST', url: '/api/transactions/tx_missing/report', payload: {} })).json()
        .error.code,
    ).toBe('transaction_not_found');
  });
});

describe('real-time payment alerts', () => {
  it('tells every paired phone about each succeeded payment as it happens', async () => {
    const other = await pairPhone(hub, 'Dad');
    const streams = await Promise.all(
      [phone, other].map((p) =>
        openEventStream(`${hub.hub.httpUrl()}/api/events`, {
          headers: { authorization: `Bearer ${p.token}` },
        }),
      ),
    );
    try {
      const intent = await createIntent(hub, { amount: 250, description: '快递费' });
      await approve(hub, phone, intent);
      for (const stream of streams) {
        const event = await stream.next((e) => e.event === 'intent_updated' && e.data.includes(intent.id));
        expect(JSON.parse(event.data)).toMatchObject({ id: intent.id, status: 'succeeded', amount: 250 });
      }
    } finally {
      for (const stream of streams) stream.close();
    }
  });
});

/** RFC 4180, as a spreadsheet reads it. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  return rows;
}
