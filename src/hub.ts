import { existsSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AdminSecurityKeys } from './admin/admin-security-keys.js';
import { AdminUsers } from './admin/admin-users.js';
import { ensureAdminToken } from './admin-token.js';
import { adminTokenResolver, merchantKeyResolver, type TokenResolver } from './api/plugins/auth.js';
import { closePlainHttp, createHttpServer, lanToHttps, servePlainHttp } from './api/server.js';
import type { ApiServices } from './api/services.js';
import { EmbeddedBroker } from './broker/embedded-broker.js';
import { loadCatalog, resolveCatalogFile } from './catalog/load.js';
import { type Clock, systemClock } from './clock.js';
import type { Settings } from './config/schema.js';
import { Approvals } from './confirm/approvals.js';
import { pairingBanner } from './confirm/pairing-banner.js';
import { Phones } from './confirm/phones.js';
import type { PushChannel } from './confirm/push/channel.js';
import { PushNotifier } from './confirm/push/notifier.js';
import { NtfyChannel } from './confirm/push/ntfy.js';
import { SseChannel } from './confirm/push/sse.js';
import { ensureVapidKeys, PushSubscriptions, vapidKeyFile, WebPushChannel } from './confirm/push/web-push.js';
import { WebAuthnCredentials } from './confirm/webauthn.js';
import { devicePublishFilters, loadProfiles } from './devices/profiles.js';
import { DeviceRegistry } from './devices/registry.js';
import { DeviceMessageRouter } from './devices/router.js';
import { prepareEnergy } from './energy/energy-config.js';
import { EnergySpend } from './energy/energy-spend.js';
import { EventBus } from './events.js';
import type { Logger } from './logger.js';
import { MerchantKeys } from './merchants/merchant-keys.js';
import { WebhookSigner, webhookKeyFile } from './merchants/webhook-signing.js';
import { MerchantWebhooks } from './merchants/webhooks.js';
import type { MqttTransport } from './mqtt/topics.js';
import { profilesDir, version } from './paths.js';
import { fundingSourceLookup } from './payments/funding.js';
import { combineHooks } from './payments/intent-hooks.js';
import { IntentPublisher } from './payments/intent-publisher.js';
import { PaymentIntents } from './payments/intents.js';
import { SandboxProvider } from './payments/provider/sandbox-provider.js';
import { Settlement } from './payments/settlement.js';
import { DataKeys } from './secrets/data-keys.js';
import { rotateDataKey } from './secrets/rotation.js';
import { type Db, openDatabase } from './store/database.js';
import { hubNames, tlsKeyFiles } from './tls/certificates.js';
import { HubTls } from './tls/hub-tls.js';
import { policyFor } from './voice/policy.js';
import { VoiceOrders } from './voice/voice-orders.js';
import { monthKey } from './wallet/calendar.js';
import { FundingSources } from './wallet/funding-sources.js';
import { Ledger } from './wallet/ledger.js';
import type { OrderPricing } from './wallet/pricing.js';
import { Wallet } from './wallet/wallet.js';

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
  /** The API and web app: one fastify app; with TLS, its own server is the HTTPS one. */
  http: FastifyInstance;
  /** Where plain HTTP is served: the app's own server, or with TLS a second listener into the app. */
  plain: HttpServer;
  /** HTTPS with the hub's (or the household's) certificate, when TLS is on. */
  https: HttpsServer | undefined;
  tls: HubTls | undefined;
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
  energy: EnergySpend;
  voice: VoiceOrders;
  wallet: Wallet;
  webhooks: MerchantWebhooks;
  merchantKeys: MerchantKeys;
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
      // Secrets at rest (provider tokens, TOTP seeds, private keys) are sealed under this key.
      const dataKeys = DataKeys.load(settings.dataDir);
      // The tariff and energy rules are checked before anything listens: a bad one stops the start.
      const energySetup = prepareEnergy(settings.energy);
      // So is the catalog; with the default path and no file there, the bundled demo catalog.
      const catalogFile = resolveCatalogFile(settings.catalog);
      const catalog = loadCatalog(catalogFile.file, settings.payments.currency);
      logger.info({ file: catalogFile.file, items: catalog.items.length }, 'catalog loaded');
      const tls = settings.tls.enabled
        ? await HubTls.load(settings.dataDir, settings.tls, logger, dataKeys)
        : undefined;

      // The mqtt client library is only needed with an external broker: imported then, not at
      // every start (docs/performance.md, start to ready).
      const transport: MqttTransport = settings.mqtt.url
        ? new (await import('./mqtt/external-client.js')).ExternalMqttClient({
            url: settings.mqtt.url,
            username: settings.mqtt.username,
            password: settings.mqtt.password,
            deviceFilters: devicePublishFilters(profiles.values()),
            logger,
          })
        : new EmbeddedBroker({ settings: settings.mqtt, registry, events, logger, clock, tls });
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
        secrets: dataKeys,
      });
      const funding = fundingSourceLookup(fundingSources);
      const ledger = new Ledger(db, clock, payments.currency);

      // The wallet beyond one payment (points, offers, records, budgets, goals) and the merchant
      // API's keys and webhooks; both take part in intents through hooks inside payments' transactions.
      const merchantKeys = new MerchantKeys(db, clock);
      const webhooks = new MerchantWebhooks(
        db,
        clock,
        merchantKeys,
        WebhookSigner.load(settings.dataDir, dataKeys),
        events,
        logger,
        settings.wallet.webhooks,
      );
      const wallet = new Wallet({
        db,
        ledger,
        fundingSources,
        events,
        clock,
        logger,
        settings: settings.wallet,
        offersOptional: true,
        merchantCategory: (payeeId) => merchantKeys.get(payeeId)?.category,
        onRefunded: (payment, refund) => webhooks.enqueueRefund(payment, refund),
      });
      const intentHooks = combineHooks(wallet.hooks, webhooks.hooks);
      const intents = new PaymentIntents({
        db,
        ledger,
        events,
        clock,
        fundingSources: funding,
        settings: payments,
        hooks: intentHooks,
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
        hooks: intentHooks,
      });

      // Confirmation: phones, their approvals, and the channels that reach them.
      const phones = new Phones(db, clock, (phoneId) => events.emit('phone.revoked', { phoneId }));
      const webauthn = new WebAuthnCredentials(db, clock, logger);
      const adminSecurityKeys = new AdminSecurityKeys(db, clock, logger);
      const approvals = new Approvals({
        db,
        intents,
        settlement,
        phones,
        clock,
        logger,
        biometricAbove: payments.biometricAbove,
        webauthn,
      });
      const sse = new SseChannel();
      events.on(sse, 'phone.revoked', ({ phoneId }) => sse.disconnect(`phone:${phoneId}`));
      const channels: PushChannel[] = [sse];
      if (settings.push.ntfy) channels.push(new NtfyChannel(settings.push.ntfy));
      const pushSubscriptions = new PushSubscriptions(db, clock);
      const vapid = settings.push.webPush.enabled ? ensureVapidKeys(settings.dataDir, dataKeys) : undefined;
      if (vapid) {
        const subject = settings.push.webPush.subject;
        channels.push(new WebPushChannel({ subscriptions: pushSubscriptions, vapid, subject }));
      }
      const notifier = new PushNotifier(channels, events, logger, () => this.publicUrl());
      const publisher = new IntentPublisher(events, transport, logger);
      notifier.start();
      publisher.start();
      wallet.start();
      webhooks.start();

      // Energy spend: readings to costs under the tariff, rule crossings to alerts and intents.
      const energy = new EnergySpend({
        db,
        events,
        transport,
        clock,
        logger,
        ...energySetup,
        homeassistant: settings.homeassistant,
        version,
        device: (deviceId) => registry.get(deviceId),
        createIntent: (input, idempotency) => intents.create(input, idempotency),
      });
      energy.start();

      // Voice orders: speakers' words to orders and intents. Started before the expiry sweep below,
      // so an order that expired while the hub was down is still announced on its speaker.
      const voice = new VoiceOrders({
        db,
        events,
        transport,
        logger,
        clock,
        catalog,
        intents,
        ledger,
        pricing: wallet.pricing,
        settings: settings.voice,
        currency: payments.currency,
        timeZone: settings.wallet.timezone,
        deviceName: (deviceId) => registry.get(deviceId)?.name,
        spentThisMonth: () => {
          const month = monthKey(clock.now(), settings.wallet.timezone);
          return [...wallet.spending.byCategory(month).values()].reduce((sum, spent) => sum + spent, 0);
        },
      });
      voice.start();

      // Intents that expired or were left processing while the hub was down are dealt with now.
      const expire = () => {
        try {
          const expired = intents.expireDue();
          if (expired > 0) logger.info({ count: expired }, 'intents expired');
        } catch (err) {
          // A full disk must not take the process down from a timer (issue 10): the next sweep
          // tries again, and an intent past its time cannot be approved meanwhile anyway.
          logger.error({ err }, 'expiring intents failed; trying again');
        }
      };
      expire();
      settlement.recover();
      const sweeper = setInterval(expire, EXPIRY_SWEEP_MS);
      sweeper.unref();

      const phoneTokens: TokenResolver = (token) => {
        const phone = phones.phoneForToken(token);
        return phone ? { kind: 'phone', phoneId: phone.id } : null;
      };
      const services: ApiServices = {
        version,
        mqtt: () => transport.describe(),
        registry,
        tokenResolvers: [
          adminTokenResolver(adminToken.token),
          phoneTokens,
          merchantKeyResolver((key) => merchantKeys.forKey(key)),
        ],
        adminUsers: new AdminUsers(db, clock, dataKeys, adminSecurityKeys),
        adminSecurityKeys,
        // Every file that holds a private key; a missing one (Web Push off) is skipped.
        rotateDataKey: () =>
          rotateDataKey(
            db,
            dataKeys,
            [
              ...(tls ? tlsKeyFiles(settings.dataDir) : []),
              webhookKeyFile(settings.dataDir),
              vapidKeyFile(settings.dataDir),
            ].filter((file) => existsSync(file)),
          ),
        now: () => clock.now(),
        intents,
        orders: voice.orders,
        voiceOrdering: voice.ordering,
        approvals,
        phones,
        sse,
        ledger,
        fundingSources,
        energy,
        wallet,
        merchants: { keys: merchantKeys, webhooks, signer: webhooks.signer },
        webApp: {
          webauthn,
          pushSubscriptions,
          vapidPublicKey: vapid?.publicKey,
          biometricAbove: payments.biometricAbove,
          speakerPolicy: (device) => policyFor(settings.voice, device),
        },
        pairingUrl: (code) => `${this.publicUrl()}/pair?code=${encodeURIComponent(code)}`,
        tls: tls
          ? {
              caCertPem: tls.material.caCertPem,
              caFingerprint: tls.caFingerprint,
              issueDeviceCertificate: (deviceId) => tls.issueDeviceCertificate(deviceId),
            }
          : undefined,
      };
      let https: HttpsServer | undefined;
      const http = await createHttpServer({
        services,
        logger,
        ...(tls
          ? {
              https: tls.serverOptions(),
              redirectToHttps: lanToHttps(() => serverPort(https, settings.http.httpsPort)),
            }
          : {}),
      });
      let plain: HttpServer;
      if (tls) {
        https = http.server as unknown as HttpsServer;
        const server = https;
        tls.onChange((options) => server.setSecureContext(options));
        await http.listen({ host: settings.http.host, port: settings.http.httpsPort });
        plain = await servePlainHttp(http, { host: settings.http.host, port: settings.http.port });
      } else {
        await http.listen({ host: settings.http.host, port: settings.http.port });
        plain = http.server as unknown as HttpServer;
      }

      this.running = {
        db,
        events,
        registry,
        transport,
        http,
        plain,
        adminTokenFile: adminToken.file,
        ledger,
        intents,
        settlement,
        phones,
        sse,
        fundingSources,
        provider,
        listeners: [notifier, publisher, energy, voice, wallet],
        energy,
        voice,
        wallet,
        webhooks,
        merchantKeys,
        https,
        tls,
        sweeper,
      };
      const mqtt = transport.describe();
      logger.info(
        {
          http: this.httpUrl(),
          https: https ? `https://${displayHost(settings.http.host)}:${serverPort(https, 0)}` : undefined,
          mqtt,
          mqtts: transport instanceof EmbeddedBroker ? transport.tlsPort() : undefined,
          caFingerprint: tls?.caFingerprint,
          dataDir: settings.dataDir,
        },
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
    if (running.https) await closePlainHttp(running.plain);
    await running.http.close();
    running.tls?.stop();
    clearInterval(running.sweeper);
    // Payments already approved finish with the provider before anything else closes.
    await running.settlement.stop();
    // A webhook request under way finishes (or times out) before the database closes.
    await running.webhooks.stop();
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
    const banner = await pairingBanner(
      `${this.publicUrl()}/pair?code=${code}`,
      expiresAt,
      this.require().tls?.caFingerprint,
    );
    process.stdout.write(`${banner}\n`);
  }

  /** Where phones reach the hub: `http.publicUrl`, or the address it listens on. */
  publicUrl(): string {
    const configured = this.options.settings.http.publicUrl?.replace(/\/+$/, '');
    if (configured) return configured;
    const https = this.running?.https;
    return https
      ? `https://${displayHost(this.options.settings.http.host)}:${serverPort(https, 0)}`
      : this.httpUrl();
  }

  /** The bound HTTPS port, when TLS is on. */
  httpsPort(): number | undefined {
    const https = this.require().https;
    return https ? serverPort(https, this.options.settings.http.httpsPort) : undefined;
  }

  httpUrl(): string {
    const port = serverPort(this.require().plain, this.options.settings.http.port);
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

  get voice(): VoiceOrders {
    return this.require().voice;
  }

  get energy(): EnergySpend {
    return this.require().energy;
  }

  get wallet(): Wallet {
    return this.require().wallet;
  }

  /** Prices orders with offers and points; voice orders call it before creating their intent. */
  get pricing(): OrderPricing {
    return this.require().wallet.pricing;
  }

  get merchantWebhooks(): MerchantWebhooks {
    return this.require().webhooks;
  }

  get merchantKeys(): MerchantKeys {
    return this.require().merchantKeys;
  }

  get fundingSources(): FundingSources {
    return this.require().fundingSources;
  }

  /** The hub's CA and certificates, when TLS is on. */
  get tls(): HubTls | undefined {
    return this.require().tls;
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

/** The port a server bound (port 0 picks one), or `fallback` before it listens. */
function serverPort(server: HttpServer | HttpsServer | undefined, fallback: number): number {
  const address = server?.address();
  return typeof address === 'object' && address ? address.port : fallback;
}

/** A host phones can type: the first LAN address when the hub listens on all interfaces. */
function displayHost(host: string): string {
  if (host !== '0.0.0.0' && host !== '::') return host.includes(':') ? `[${host}]` : host;
  const lan = hubNames().find((name) => /^\d+\.\d+\.\d+\.\d+$/.test(name) && !name.startsWith('127.'));
  return lan ?? '127.0.0.1';
}
