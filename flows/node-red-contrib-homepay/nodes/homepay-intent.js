'use strict';
/**
 * `homepay intent`: create, cancel or read a payment intent over the HTTP API (SPEC "Payment
 * intents"). A created intent waits in `requires_approval` for the paired phone; nothing here can
 * approve it. Creation carries an Idempotency-Key, so a retried message makes one intent.
 */
const { idempotencyKeyOf, shorten } = require('../lib/node-status.js');

const ACTIONS = new Set(['create', 'cancel', 'get']);

module.exports = (RED) => {
  function HomepayIntentNode(config) {
    RED.nodes.createNode(this, config);
    const label = (key, vars) => RED._(`homepay-intent.${key}`, vars);
    this.hub = RED.nodes.getNode(config.hub);
    const configured = ACTIONS.has(config.action) ? config.action : 'create';
    this.status({});

    this.on('input', async (msg, send, done) => {
      if (!this.hub) {
        done(new Error(label('errors.noHub')));
        return;
      }
      const action = ACTIONS.has(msg.action) ? msg.action : configured;
      try {
        let intent;
        if (action === 'create') {
          const body = msg.payload;
          if (!body || typeof body !== 'object' || Array.isArray(body))
            throw new Error(label('errors.noBody'));
          const response = await this.hub.request({
            method: 'POST',
            path: 'api/intents',
            headers: { 'idempotency-key': idempotencyKeyOf(msg) },
            body,
          });
          intent = response.body;
          msg.created = response.status === 201;
        } else {
          const id = intentIdOf(msg);
          if (!id) throw new Error(label('errors.noId'));
          const path = `api/intents/${encodeURIComponent(id)}${action === 'cancel' ? '/cancel' : ''}`;
          intent = (await this.hub.request({ method: action === 'cancel' ? 'POST' : 'GET', path })).body;
        }
        msg.payload = intent;
        msg.intentId = intent.id;
        this.status({ fill: 'green', shape: 'dot', text: shorten(`${intent.id} ${intent.status}`) });
        send(msg);
        done();
      } catch (err) {
        msg.statusCode = err.status;
        this.status({ fill: 'red', shape: 'ring', text: shorten(err.code ?? err.message) });
        done(err);
      }
    });
  }

  RED.nodes.registerType('homepay-intent', HomepayIntentNode);
};

/** `msg.intentId`, `msg.payload.id` or `msg.payload` itself when it is an id. */
function intentIdOf(msg) {
  if (typeof msg.intentId === 'string' && msg.intentId) return msg.intentId;
  if (msg.payload && typeof msg.payload === 'object' && typeof msg.payload.id === 'string')
    return msg.payload.id;
  if (typeof msg.payload === 'string' && msg.payload.startsWith('pi_')) return msg.payload;
  return undefined;
}
