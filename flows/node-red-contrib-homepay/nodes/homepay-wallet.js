'use strict';
/**
 * `homepay wallet`: the household wallet over HTTP (SPEC "Wallet"). `balance` reads
 * `GET /api/wallet`; `spending` adds up the payments of a time window from `GET /api/transactions`
 * (net of refunds, by category); `topup` asks for a top-up from a card or account, an intent the
 * phone approves, with an Idempotency-Key.
 */
const { idempotencyKeyOf, shorten } = require('../lib/node-status.js');

const ACTIONS = new Set(['balance', 'spending', 'topup']);
const PERIODS = new Set(['today', 'yesterday', 'last24h', 'week', 'month']);
/** Pages of 500 read at most for one summary. */
const MAX_PAGES = 20;

module.exports = (RED) => {
  function HomepayWalletNode(config) {
    RED.nodes.createNode(this, config);
    const label = (key, vars) => RED._(`homepay-wallet.${key}`, vars);
    this.hub = RED.nodes.getNode(config.hub);
    const configuredAction = ACTIONS.has(config.action) ? config.action : 'balance';
    const configuredPeriod = PERIODS.has(config.period) ? config.period : 'today';
    this.status({});

    this.on('input', async (msg, send, done) => {
      if (!this.hub) {
        done(new Error(label('errors.noHub')));
        return;
      }
      const action = ACTIONS.has(msg.action) ? msg.action : configuredAction;
      try {
        if (action === 'balance') {
          const wallet = (await this.hub.request({ path: 'api/wallet' })).body;
          msg.payload = wallet;
          this.status({ fill: 'green', shape: 'dot', text: money(wallet.available, wallet.currency) });
        } else if (action === 'spending') {
          const window = windowOf(msg, PERIODS.has(msg.period) ? msg.period : configuredPeriod);
          msg.payload = await spending(this.hub, window);
          this.status({ fill: 'green', shape: 'dot', text: money(msg.payload.total, msg.payload.currency) });
        } else {
          const body = msg.payload;
          if (!body || typeof body !== 'object' || !Number.isInteger(body.amount) || !body.fundingSourceId) {
            throw new Error(label('errors.noTopup'));
          }
          const response = await this.hub.request({
            method: 'POST',
            path: 'api/wallet/topups',
            headers: { 'idempotency-key': idempotencyKeyOf(msg) },
            body: { amount: body.amount, fundingSourceId: body.fundingSourceId },
          });
          msg.payload = response.body;
          msg.intentId = response.body.id;
          msg.created = response.status === 201;
          this.status({
            fill: 'green',
            shape: 'dot',
            text: shorten(`${response.body.id} ${response.body.status}`),
          });
        }
        send(msg);
        done();
      } catch (err) {
        msg.statusCode = err.status;
        this.status({ fill: 'red', shape: 'ring', text: shorten(err.code ?? err.message) });
        done(err);
      }
    });
  }

  RED.nodes.registerType('homepay-wallet', HomepayWalletNode);
};

/**
 * The window to sum: `msg.from`/`msg.to` (ISO times) when given, else a period in Node-RED's own
 * time zone.
 */
function windowOf(msg, period) {
  if (msg.from || msg.to) {
    const from = new Date(msg.from ?? 0);
    const to = msg.to ? new Date(msg.to) : new Date();
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()))
      throw new Error('msg.from and msg.to must be ISO 8601 times');
    return { from, to, period: 'custom' };
  }
  const now = new Date();
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  switch (period) {
    case 'yesterday':
      return {
        from: new Date(midnight.getFullYear(), midnight.getMonth(), midnight.getDate() - 1),
        to: midnight,
        period,
      };
    case 'last24h':
      return { from: new Date(now.getTime() - 24 * 3600 * 1000), to: now, period };
    case 'week': {
      // Weeks start on Monday, as they do on Chinese calendars and in ISO 8601.
      const back = (midnight.getDay() + 6) % 7;
      return {
        from: new Date(midnight.getFullYear(), midnight.getMonth(), midnight.getDate() - back),
        to: now,
        period,
      };
    }
    case 'month':
      return { from: new Date(now.getFullYear(), now.getMonth(), 1), to: now, period };
    default:
      return { from: midnight, to: now, period: 'today' };
  }
}

/** Payments in the window, net of what was refunded, in total and by category. */
async function spending(hub, window) {
  const byCategory = {};
  let total = 0;
  let count = 0;
  let currency;
  const payments = [];
  let cursor;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { body } = await hub.request({
      path: 'api/transactions',
      query: {
        kind: 'payment',
        from: window.from.toISOString(),
        to: window.to.toISOString(),
        limit: 500,
        cursor,
      },
    });
    for (const record of body.transactions) {
      const net = record.amount - (record.refunded ?? 0);
      currency = currency ?? record.currency;
      total += net;
      count += 1;
      byCategory[record.category] = (byCategory[record.category] ?? 0) + net;
      payments.push({
        id: record.id,
        amount: net,
        category: record.category,
        payee: record.payee,
        description: record.description,
        createdAt: record.createdAt,
      });
    }
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  if (!currency) currency = (await hub.request({ path: 'api/wallet' })).body.currency;
  return {
    period: window.period,
    from: window.from.toISOString(),
    to: window.to.toISOString(),
    total,
    currency,
    count,
    byCategory,
    payments,
  };
}

/** 8900 CNY -> "89.00 CNY", for a status line. */
function money(minor, currency) {
  return `${(Number(minor) / 100).toFixed(2)} ${currency ?? ''}`.trim();
}
