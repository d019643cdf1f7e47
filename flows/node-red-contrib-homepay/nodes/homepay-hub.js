'use strict';
/**
 * The config node: where the hub is and who we are to it. An admin (or phone) token for the HTTP
 * API; a `homepay-integration` device for hub events (it may only subscribe); a `homepay-speaker`
 * device for orders (it may only speak, and whatever it says still needs the phone).
 */
const { hubRequest, brokerUrl } = require('../lib/hub-http.js');
const { HubConnection } = require('../lib/hub-mqtt.js');

module.exports = (RED) => {
  function HomepayHubNode(config) {
    RED.nodes.createNode(this, config);
    const credentials = this.credentials ?? {};
    this.hubUrl = String(config.hubUrl ?? '').trim();
    this.eventsDeviceId = String(config.eventsDeviceId ?? '').trim();
    this.speakerDeviceId = String(config.speakerDeviceId ?? '').trim();
    const retryMs = Number(config.retrySeconds ?? 5) * 1000 || 5000;
    const hub = {
      hubUrl: this.hubUrl,
      token: credentials.token || undefined,
      mqttUrl: String(config.mqttUrl ?? '').trim() || undefined,
      ca: String(config.ca ?? '').trim() || undefined,
    };
    this.hasToken = Boolean(hub.token);

    /**
     * A request to the hub's HTTP API with this hub's token.
     * @param {{method?: string, path: string, query?: object, body?: unknown, headers?: object}} request
     */
    this.request = (request) => {
      if (!this.hubUrl) return Promise.reject(new Error(RED._('homepay-hub.errors.noUrl')));
      return hubRequest(hub, request);
    };

    /** @type {Record<string, HubConnection | undefined>} */
    const connections = {};
    const connection = (kind, username, password) => {
      if (!connections[kind]) {
        if (!this.hubUrl) throw new Error(RED._('homepay-hub.errors.noUrl'));
        if (!username || !password) throw new Error(RED._(`homepay-hub.errors.no${kind}Device`));
        const created = new HubConnection({
          resolveUrl: () => brokerUrl(hub),
          username,
          password,
          ca: hub.ca,
          clientIdPrefix: `node-red-${kind.toLowerCase()}`,
          retryMs,
        });
        // Said once per reason, not at every retry.
        let lastRefusal = '';
        created.on('refused', (err) => {
          if (err.message === lastRefusal) return;
          lastRefusal = err.message;
          this.warn(RED._('homepay-hub.errors.refused', { kind, message: err.message }));
        });
        created.on('up', () => {
          lastRefusal = '';
        });
        created.start();
        connections[kind] = created;
      }
      return connections[kind];
    };
    /** The shared read-only connection for hub events (a homepay-integration device). */
    this.events = () => connection('Events', this.eventsDeviceId, credentials.eventsSecret);
    /** The shared connection that speaks orders (a homepay-speaker device). */
    this.speaker = () => connection('Speaker', this.speakerDeviceId, credentials.speakerSecret);

    this.on('close', (done) => {
      Promise.all(Object.values(connections).map((c) => c?.stop()))
        .catch(() => {})
        .then(() => done());
    });
  }

  RED.nodes.registerType('homepay-hub', HomepayHubNode, {
    credentials: {
      token: { type: 'password' },
      eventsSecret: { type: 'password' },
      speakerSecret: { type: 'password' },
    },
  });
};
