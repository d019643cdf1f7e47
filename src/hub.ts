import path from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ensureAdminToken } from './admin-token.js';
import { homepayApp } from './api/app.js';
import { adminTokenResolver } from './api/plugins/auth.js';
import { EmbeddedBroker } from './broker/embedded-broker.js';
import { type Clock, systemClock } from './clock.js';
import type { Settings } from './config/schema.js';
import { devicePublishFilters, loadProfiles } from './devices/profiles.js';
import { DeviceRegistry } from './devices/registry.js';
import { DeviceMessageRouter } from './devices/router.js';
import { EventBus } from './events.js';
import type { Logger } from './logger.js';
import { ExternalMqttClient } from './mqtt/external-client.js';
import type { MqttTransport } from './mqtt/topics.js';
import { profilesDir, version } from './paths.js';
import { type Db, openDatabase } from './store/database.js';

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
}

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
          tokenResolvers: [adminTokenResolver(adminToken.token)],
        },
      });
      await http.listen({ host: settings.http.host, port: settings.http.port });

      this.running = { db, events, registry, transport, http, adminTokenFile: adminToken.file };
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
    await running.http.close();
    await running.transport.stop();
    running.registry.flushLastSeen();
    running.registry.markAllOffline();
    running.db.close();
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

  private require(): Running {
    if (!this.running) throw new Error('the hub is not running');
    return this.running;
  }
}
