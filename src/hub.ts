import path from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ensureAdminToken } from './admin-token.js';
import { homepayApp } from './api/app.js';
import { adminTokenResolver, type TokenResolver } from './api/plugins/auth.js';
import { EmbeddedBroker } from './broker/embedded-broker.js';
import { type Clock, systemClock } from './clock.js';
import type { Settings } from './config/schema.js';
import { Approvals } from './confirm/approvals.js';
import { pairingBanner } from './confirm/pairing-banner.js';
import { Phones } from './confirm/phones.js';
import type { PushChannel } from './confirm/push/channel.js';
import { PushNotifier } from './confirm/push/notifier.js';
import { NtfyChannel } from './confirm/push/ntfy.js';
import { SseChannel } from './confirm/push/sse.js';
import { devicePublishFilters, loadProfiles } from './devices/profiles.js';
import { DeviceRegistry } from './devices/registry.js';
import { DeviceMessageRouter } from './devices/router.js';
import { EventBus } from './events.js';
import type { Logger } from './logger.js';
import { ExternalMqttClient } from './mqtt/external-client.js';
import type { MqttTransport } from './mqtt/topics.js';
import { profilesDir, version } from './paths.js';
import { fundingSourceLookup } from './payments/funding.js';
import { IntentPublisher } from './payments/intent-publisher.js';
import { PaymentIntents } from './payments/intents.js';
import { SandboxProvider } from './payments/provider/sandbox-provider.js';
import { Settlement } from './payments/settlement.js';
import { type Db, openDatabase } from './store/database.js';
import { FundingSources } from './wallet/funding-sources.js';
import { Ledger } from './wallet/ledger.js';

export interface HubOptions {
  settings: Settings;
  logger: Logger;
  clock?: Clock;
}

/** Everything a running hub holds; built in `start`, in dependency order. */
interface Running {
  db: Db;
  events: EventBus;
  registry: DeviceRegistry;
  transport: MqttTransport;
  http: FastifyInstance;
  adminTokenFile: string;
  ledger: Ledger;
  intents: PaymentIntents;
  settlement: Settlement;
  phones: Phones;
  sse: SseChannel;
  fundingSources: FundingSources;
  provider: SandboxProvider;
  /** Things with their own start/stop that listen to events, stopped before the transport. */
  listeners: Array<{ stop(): void }>;
  sweeper: NodeJS.Timeout;
}

/** How often intents past their approval time are expired. */
const EXPIRY_SWEEP_MS = 1000;

/**
 * The composition root: builds the store, the event bus, the device registry, the broker (or the
 * external MQTT client) and the HTTP app in order, and stops them in reverse. Nothing else
 * constructs domains, so this file is the map of the hub.
 */
export class Hub {
  private running: Running | undefined;

  private readonly clock: Clock;

  constructor(private readonly options: HubOptions) {
    this.clock = options.clock ?? systemClock;
  }

  async start(): Promise<void> {
    const { settings, logger } = this.options;
    const clock = this.clock;
    const db = openDatabase(path.join(settings.dataDir, 'homepay.db'));
    try {
      const events = new EventBus(logger);
      const profiles = loadProfiles(profilesDir);
      const registry = new DeviceRegistry(db, profiles, events, clock);
      // Nothing is connected before the broker starts; a crash may have left devices marked online.
      registry.markAllOffline();
      const adminToken = ensureAdminToken(settings.dataDir);

      const transport: MqttTransport = settings.mqtt.url
        ? new ExternalMqttClient({
            url: settings.mqtt.url,
            username: settings.mqtt.username,
            password: settings.mqtt.password,
            deviceFilters: devicePublishFilters(profiles.values()),
            logger,
          })
        : new EmbeddedBroker({ settings: settings.mqtt, registry, events, logger, clock });
      const router = new DeviceMessageRouter(registry, events, logger, clock);
      transport.onMessage(router.handle);
      await transport.start();

      // Payments: the provider, the wallet's funding sources and ledger, intents and their settlement.
      const payments = settings.payments;
      const provider = new SandboxProvider({ db, clock, ...payments.provider });
      const fundingSources = new FundingSources({
        db,
        provider,
        clock,
        onChange: (change) => events.emit('fundingSource.changed', change),
      });
      const funding = fundingSourceLookup(fundingSources);
      const ledger = new Ledger(db, clock, payments.currency);
      const intents = new PaymentIntents({
        db,
        ledger,
        events,
        clock,
        fundingSources: funding,
        settings: payments,
      });
      const settlement = new Settlement({
        db,
        ledger,
        repository: intents.repository,
        provider,
        fundingSources: funding,
        events,
        clock,
        logger,
      });

      // Confirmation: phones, their approvals, and the channels that reach them.
      const phones = new Phones(db, clock, (phoneId) => events.emit('phone.revoked', { phoneId }));
      const approvals = new Approvals({
        db,
        intents,
        settlement,
        phones,
        clock,
        logger,
        biometricAbove: payments.biometricAbove,
      });
      const sse = new SseChannel();
      events.on(sse, 'phone.revoked', ({ phoneId }) => sse.disconnect(`phone:${phoneId}`));
      const channels: PushChannel[] = [sse];
      if (settings.push.ntfy) channels.push(new NtfyChannel(settings.push.ntfy));
      const notifier = new PushNotifier(channels, events, logger, () => this.publicUrl());
      const publisher = new IntentPublisher(events, transport, logger);
      notifier.start();
      publisher.start();

      // Intents that expired or were left processing while the hub was down are dealt with now.
      intents.expireDue();
      settlement.recover();
      const sweeper = setInterval(() => intents.expireDue(), EXPIRY_SWEEP_MS);
      sweeper.unref();

      const phoneTokens: TokenResolver = (token) => {
        const phone = phones.phoneForToken(token);
        return phone ? { kind: 'phone', phoneId: phone.id } : null;
      };
      const http = Fastify({
        loggerInstance: logger as FastifyBaseLogger,
        disableRequestLogging: true,
        bodyLimit: 1024 * 1024,
        // Wrong types are errors, not guesses: "100" is not an amount, and unknown keys are refused
        // rather than silently dropped (fastify's defaults coerce and strip).
        ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
      }).withTypeProvider<TypeBoxTypeProvider>();
      await http.register(homepayApp, {
        services: {
          version,
          mqtt: () => transport.describe(),
          registry,
          tokenResolvers: [adminTokenResolver(adminToken.token), phoneTokens],
          intents,
          approvals,
          phones,
          sse,
          ledger,
          fundingSources,
          pairingUrl: (code) => `${this.publicUrl()}/pair?code=${encodeURIComponent(code)}`,
        },
      });
      await http.listen({ host: settings.http.host, port: settings.http.port });

      this.running = {
        db,
        events,
        registry,
        transport,
        http,
        adminTokenFile: adminToken.file,
        ledger,
        intents,
        settlement,
        phones,
        sse,
        fundingSources,
        provider,
        listeners: [notifier, publisher],
        sweeper,
      };
      const mqtt = transport.describe();
      logger.info(
        { http: this.httpUrl(), mqtt, dataDir: settings.dataDir },
        'mqtt' in mqtt
          ? 'homepay is ready'
          : `homepay is ready: mqtt on port ${(mqtt as { port: number }).port}`,
      );
      if (adminToken.created)
        logger.info({ file: adminToken.file }, 'created the admin token (keep it secret)');
      else logger.info({ file: adminToken.file }, 'admin token file');
      await this.offerPairing();
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Stops in reverse order: no new requests, then no new MQTT, then the database. */
  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    // Live event streams would hold the HTTP server open; end them, then stop taking requests.
    running.sse.close();
    await running.http.close();
    clearInterval(running.sweeper);
    // Payments already approved finish with the provider before anything else closes.
    await running.settlement.stop();
    for (const listener of running.listeners) listener.stop();
    await running.transport.stop();
    running.registry.flushLastSeen();
    running.registry.markAllOffline();
    running.db.close();
  }

  /**
   * With no phone paired yet, the terminal shows a pairing link and QR code (never the log: the
   * code admits a phone). Without a terminal, the log says how to pair instead.
   */
  private async offerPairing(): Promise<void> {
    const { phones } = this.require();
    if (phones.active().length > 0) return;
    if (!process.stdout.isTTY) {
      this.options.logger.info('no phone is paired yet: run `homepay pair` or POST /api/pairing');
      return;
    }
    const { code, expiresAt } = phones.createPairingCode();
    process.stdout.write(`${await pairingBanner(`${this.publicUrl()}/pair?code=${code}`, expiresAt)}\n`);
  }

  /** Where phones reach the hub: `http.publicUrl`, or the address it listens on. */
  publicUrl(): string {
    return this.options.settings.http.publicUrl?.replace(/\/+$/, '') ?? this.httpUrl();
  }

  httpUrl(): string {
    const address = this.require().http.server.address();
    const port = typeof address === 'object' && address ? address.port : this.options.settings.http.port;
    return `http://${this.options.settings.http.host}:${port}`;
  }

  get http(): FastifyInstance {
    return this.require().http;
  }

  get registry(): DeviceRegistry {
    return this.require().registry;
  }

  get events(): EventBus {
    return this.require().events;
  }

  get mqtt(): { port: number } | { url: string } {
    return this.require().transport.describe();
  }

  get transport(): MqttTransport {
    return this.require().transport;
  }

  get db(): Db {
    return this.require().db;
  }

  get intents(): PaymentIntents {
    return this.require().intents;
  }

  get ledger(): Ledger {
    return this.require().ledger;
  }

  get phones(): Phones {
    return this.require().phones;
  }

  get settlement(): Settlement {
    return this.require().settlement;
  }

  get fundingSources(): FundingSources {
    return this.require().fundingSources;
  }

  /** The payment provider, for fault-injection tests. */
  get provider(): SandboxProvider {
    return this.require().provider;
  }

  private require(): Running {
    if (!this.running) throw new Error('the hub is not running');
    return this.running;
  }
}
