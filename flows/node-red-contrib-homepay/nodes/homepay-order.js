'use strict';
/**
 * `homepay order`: words in, a voice order out, exactly as if a homepay speaker had heard them. The
 * node speaks as a `homepay-speaker` device over MQTT (SPEC "Voice orders"): the hub parses the
 * words, applies that speaker's policy and the home-wide switch, and creates intents that wait for
 * the phone. Output 1 is the hub's answer (the read-back or the reason it refused) with the orders
 * and intents it made; output 2 is what the hub announces later in that session (how it ended).
 */
const { randomUUID } = require('node:crypto');
const { followConnection, shorten } = require('../lib/node-status.js');

/** Sessions this node started are remembered this long, to pass on their outcome announcements. */
const SESSION_MEMORY_MS = 30 * 60 * 1000;
const MAX_SESSIONS = 500;

module.exports = (RED) => {
  function HomepayOrderNode(config) {
    RED.nodes.createNode(this, config);
    const label = (key, vars) => RED._(`homepay-order.${key}`, vars);
    this.hub = RED.nodes.getNode(config.hub);
    const lang = String(config.lang ?? '');
    const voiceProfile = String(config.voiceProfile ?? '').trim();
    const timeoutMs = (Number(config.timeout) || 10) * 1000;
    if (!this.hub) {
      this.status({ fill: 'red', shape: 'ring', text: label('status.noHub') });
      this.on('input', (_msg, _send, done) => done(new Error(label('errors.noHub'))));
      return;
    }
    let speaker;
    try {
      speaker = this.hub.speaker();
    } catch (err) {
      this.status({ fill: 'red', shape: 'ring', text: label('status.noSpeaker') });
      this.on('input', (_msg, _send, done) => done(err));
      return;
    }
    const deviceId = this.hub.speakerDeviceId;
    /** sessionId -> the waiter for its next answer */
    const waiting = new Map();
    /** sessionId -> when we stop passing on its announcements */
    const sessions = new Map();
    const unfollow = followConnection(this, speaker, label);
    const unsubscribe = speaker.subscribe(`homepay/speaker/${deviceId}/say`, (topic, payload) => {
      let said;
      try {
        said = JSON.parse(payload.toString('utf8'));
      } catch {
        this.warn(label('errors.badSay', { topic }));
        return;
      }
      if (!said || typeof said.text !== 'string') return;
      const waiter = typeof said.sessionId === 'string' ? waiting.get(said.sessionId) : undefined;
      if (waiter) {
        waiting.delete(said.sessionId);
        waiter(said);
        return;
      }
      const until = sessions.get(said.sessionId);
      if (until === undefined || until < Date.now()) return;
      this.send([null, { topic, payload: { text: said.text, sessionId: said.sessionId, lang: said.lang } }]);
    });

    this.on('input', async (msg, send, done) => {
      const request = typeof msg.payload === 'string' ? { text: msg.payload } : (msg.payload ?? {});
      const text = typeof request.text === 'string' ? request.text.trim() : '';
      if (!text) {
        done(new Error(label('errors.noText')));
        return;
      }
      const sessionId = String(
        request.sessionId ?? msg.sessionId ?? `node-red-${msg._msgid ?? randomUUID()}`,
      );
      const utterance = {
        text,
        sessionId,
        ...(request.lang || lang ? { lang: request.lang || lang } : {}),
        ...(request.voiceProfile || voiceProfile
          ? { voiceProfile: request.voiceProfile || voiceProfile }
          : {}),
      };
      try {
        await speaker.waitConnected(Math.min(timeoutMs, 5000));
        this.status({ fill: 'blue', shape: 'dot', text: shorten(text) });
        const answered = new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            waiting.delete(sessionId);
            reject(new Error(label('errors.noAnswer', { seconds: timeoutMs / 1000 })));
          }, timeoutMs);
          waiting.set(sessionId, (said) => {
            clearTimeout(timer);
            resolve(said);
          });
        });
        remember(sessions, sessionId);
        await speaker.publish(`homepay/speaker/${deviceId}/utterance`, utterance);
        const said = await answered;
        const orders = this.hub.hasToken ? await ordersOf(this.hub, deviceId, sessionId) : [];
        const intents = await Promise.all(
          orders.map((order) =>
            this.hub
              .request({ path: `api/intents/${encodeURIComponent(order.intentId)}` })
              .then((r) => r.body),
          ),
        );
        msg.payload = { text: said.text, lang: said.lang, sessionId, orders, intents };
        // Without an API token the orders cannot be read: whether one was placed is unknown (null).
        msg.placed = this.hub.hasToken ? orders.length > 0 : null;
        msg.sessionId = sessionId;
        this.status({
          fill: msg.placed === false ? 'yellow' : 'green',
          shape: 'dot',
          text: shorten(said.text),
        });
        send([msg, null]);
        done();
      } catch (err) {
        this.status({ fill: 'red', shape: 'ring', text: shorten(err.message) });
        done(err);
      }
    });

    this.on('close', (done) => {
      unsubscribe();
      unfollow();
      waiting.clear();
      sessions.clear();
      done();
    });
  }

  RED.nodes.registerType('homepay-order', HomepayOrderNode);
};

/** The orders the hub made for this speaker's session (admin or phone token). */
async function ordersOf(hub, deviceId, sessionId) {
  const { body } = await hub.request({ path: 'api/orders', query: { deviceId, limit: 50 } });
  return (Array.isArray(body) ? body : []).filter((order) => order.sessionId === sessionId);
}

function remember(sessions, sessionId) {
  const now = Date.now();
  sessions.set(sessionId, now + SESSION_MEMORY_MS);
  if (sessions.size <= MAX_SESSIONS) return;
  for (const [id, until] of sessions) {
    if (until < now || sessions.size > MAX_SESSIONS) sessions.delete(id);
  }
}
