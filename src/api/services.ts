import type { DeviceRegistry } from '../devices/registry.js';
import type { TokenResolver } from './plugins/auth.js';

/** What the HTTP layer may call: handed in by the composition root, never imported from domains. */
export interface ApiServices {
  version: string;
  mqtt(): { port: number } | { url: string };
  registry: DeviceRegistry;
  tokenResolvers: TokenResolver[];
}
