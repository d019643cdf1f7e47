'use strict';
/**
 * `homepay events`: the hub's public MQTT events as messages (SPEC "Hub events over MQTT"), read as
 * a `homepay-integration` device, which may subscribe and never publish. Intent state changes,
 * rule alerts, each metered device's energy state (retained, so the current ones arrive at once)
 * and the hub's own online/offline status.
 */
const { followConnection } = require('../lib/node-status.js');

const KINDS = {
  intent: 'homepay/intent/+',
  alert: 'homepay/alert/+',
  energy: 'homepay/energy/+/state',
  status: 'homepay/status',
};

module.exports = (RED) => {
  function HomepayEventsNode(config) {
    RED.nodes.createNode(this, config);
    const label = (key, vars) => RED._(`homepay-events.${key}`, vars);
    this.hub = RED.nodes.getNode(config.hub);
    if (!this.hub) {
      this.status({ fill: 'red', shape: 'ring', text: label('status.noHub') });
      return;
    }
    let connection;
    try {
      connection = this.hub.events();
    } catch (err) {
      this.status({ fill: 'red', shape: 'ring', text: label('status.noDevice') });
      this.error(err);
      return;
    }
    const statuses = String(config.statuses ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const chosen = Object.keys(KINDS).filter((kind) => config[kind] !== false);
    const unfollow = followConnection(this, connection, label);
    const unsubscribes = chosen.map((kind) =>
      connection.subscribe(KINDS[kind], (topic, payload) => {
        const text = payload.toString('utf8');
        if (kind === 'status') {
          this.send({ topic, kind, payload: text });
          return;
        }
        // An emptied retained state (a removed device) has no payload.
        if (text === '') return;
        let value;
        try {
          value = JSON.parse(text);
        } catch {
          this.warn(label('errors.badPayload', { topic }));
          return;
        }
        if (kind === 'intent' && statuses.length > 0 && !statuses.includes(value.status)) return;
        const msg = { topic, kind, payload: value };
        if (kind === 'intent') msg.intentId = value.id;
        if (kind === 'alert') msg.ruleId = value.ruleId;
        if (kind === 'energy') msg.deviceId = topic.split('/')[2];
        this.send(msg);
      }),
    );

    this.on('close', (done) => {
      for (const unsubscribe of unsubscribes) unsubscribe();
      unfollow();
      done();
    });
  }

  RED.nodes.registerType('homepay-events', HomepayEventsNode);
};
