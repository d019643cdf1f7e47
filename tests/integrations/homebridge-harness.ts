import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { API, PlatformAccessory } from 'homebridge';

/**
 * Homebridge's own classes from the installed package, put together the way its `Server.start()`
 * does (cached accessories from disk, plugins loaded from a path, platform constructed, cache
 * restored through `configureAccessory`, `didFinishLaunching`), minus publishing the bridge on
 * the network: no HAP port and no mDNS, which this machine may not have.
 */
const require = createRequire(import.meta.url);
const { HomebridgeAPI } = require('homebridge/lib/api.js') as { HomebridgeAPI: new () => HomebridgeApi };
const { PluginManager } = require('homebridge/lib/pluginManager.js') as {
  PluginManager: new (api: HomebridgeApi, options: object) => PluginManagerLike;
};
const { BridgeService } = require('homebridge/lib/bridgeService.js') as {
  BridgeService: new (...args: unknown[]) => BridgeServiceLike;
};
const { ExternalPortService } = require('homebridge/lib/externalPortService.js') as {
  ExternalPortService: new (ports?: unknown) => unknown;
};
const { User } = require('homebridge/lib/user.js') as {
  User: { setStoragePath(...parts: string[]): void; storagePath(): string };
};
const { Logger } = require('homebridge/lib/logger.js') as {
  Logger: { withPrefix(prefix: string): unknown; setDebugEnabled(enabled: boolean): void };
};

type HomebridgeApi = API & { signalFinished(): void; signalShutdown(): void };

interface PluginLike {
  getPlatformConstructor(name: string): new (log: unknown, config: object, api: API) => PlatformLike;
  assignDynamicPlatform(name: string, platform: PlatformLike): void;
}

interface PluginManagerLike {
  initializeInstalledPlugins(): Promise<void>;
  getPluginForPlatform(name: string): PluginLike;
}

interface BridgeServiceLike {
  bridge: { bridgedAccessories: Array<{ UUID: string; displayName: string }> };
  cachedPlatformAccessories: PlatformAccessory[];
  loadCachedPlatformAccessoriesFromDisk(): Promise<void>;
  restoreCachedPlatformAccessories(): void;
  teardown(): void;
}

export interface PlatformLike {
  accessories: Map<string, PlatformAccessory>;
  hub: { reachable: boolean; synced: boolean };
}

export interface RunningHomebridge {
  api: API;
  platform: PlatformLike;
  /** The platform accessories Homebridge holds (and caches), by name. */
  accessory(name: string): PlatformAccessory;
  accessories(): PlatformAccessory[];
  /** What the bridge would publish to HomeKit. */
  bridged(): Array<{ UUID: string; displayName: string }>;
  /** Accessories handed back to the platform through configureAccessory at launch. */
  restored: string[];
  shutdown(): Promise<void>;
}

// Homebridge's storage path is set once per process; each launch keeps its own accessory cache.
User.setStoragePath(mkdtempSync(path.join(tmpdir(), 'homebridge-storage-')));

export const pluginDir = path.resolve(import.meta.dirname, '../../integrations/homebridge');

/** Starts Homebridge with the homepay plugin and one platform config; `storageDir` keeps its cache. */
export async function launchHomebridge(
  config: Record<string, unknown>,
  storageDir: string,
): Promise<RunningHomebridge> {
  Logger.setDebugEnabled(false);
  const api = new HomebridgeAPI();
  const pluginManager = new PluginManager(api, {
    customPluginPath: pluginDir,
    strictPluginResolution: true,
    activePlugins: ['homebridge-homepay'],
  });
  const bridgeConfig = { name: 'Test Bridge', username: 'CC:22:3D:E3:CE:30', pin: '031-45-154', port: 0 };
  const bridge = new BridgeService(
    api,
    pluginManager,
    new ExternalPortService(undefined),
    {
      cachedAccessoriesDir: path.join(storageDir, 'accessories'),
      cachedAccessoriesItemName: 'cachedAccessories',
    },
    bridgeConfig,
    { bridge: bridgeConfig, platforms: [config], accessories: [] },
  );
  await bridge.loadCachedPlatformAccessoriesFromDisk();
  await pluginManager.initializeInstalledPlugins();
  const plugin = pluginManager.getPluginForPlatform('HomePay');
  const Platform = plugin.getPlatformConstructor('HomePay');
  const platform = new Platform(Logger.withPrefix(String(config.name ?? 'homepay')), config, api);
  plugin.assignDynamicPlatform('HomePay', platform);
  bridge.restoreCachedPlatformAccessories();
  const restored = [...platform.accessories.keys()];
  api.signalFinished();

  const accessories = () => bridge.cachedPlatformAccessories;
  return {
    api,
    platform,
    restored,
    accessories,
    accessory(name) {
      const found = accessories().find((a) => a.displayName === name);
      if (!found)
        throw new Error(
          `no accessory ${name}: ${accessories()
            .map((a) => a.displayName)
            .join(', ')}`,
        );
      return found;
    },
    bridged: () => bridge.bridge.bridgedAccessories,
    async shutdown() {
      bridge.teardown();
      // The platform closes its connections on 'shutdown'; give them a moment to end.
      await new Promise((resolve) => setTimeout(resolve, 50));
    },
  };
}
