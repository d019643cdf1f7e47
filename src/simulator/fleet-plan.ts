/**
 * Which devices a simulation has: N plugs spread over the four plug profiles and the four
 * appliances (so every profile meters every kind of load), Zigbee2MQTT plugs grouped behind
 * bridges, and a native speaker and a Hermes satellite. The plan depends only on the count, so a
 * bigger rerun keeps the first devices and adds more.
 */
import { APPLIANCE_KINDS, APPLIANCE_NAMES, type ApplianceKind } from './load-curves.js';
import { PLUG_PROFILES, type PlugProfile } from './plug-wire.js';
import { hashSeed, hexDigits, seededRandom } from './random.js';

export type ClientProfile = PlugProfile | 'homepay-speaker' | 'rhasspy-satellite';

/** One MQTT client the simulator registers and connects. */
export interface PlannedClient {
  key: string;
  profile: ClientProfile;
  name: string;
  /** The identity to ask for; `attempt` > 0 when an earlier one was taken. Undefined: native, none. */
  identity(attempt: number): string | undefined;
}

/** One metered appliance, behind its own client or (Zigbee2MQTT) behind a bridge. */
export interface PlannedPlug {
  key: string;
  profile: PlugProfile;
  appliance: ApplianceKind;
  clientKey: string;
  /** The Zigbee2MQTT friendly name. */
  child?: string;
}

export interface FleetPlan {
  clients: PlannedClient[];
  plugs: PlannedPlug[];
}

/**
 * Plugs behind one Zigbee2MQTT bridge. A real network has a few dozen; it also keeps one bridge's
 * client under the hub's per-client rate limit (50 msg/s) at one report per plug per second.
 */
export const PLUGS_PER_BRIDGE = 25;

export const SPEAKER_KEY = 'speaker';
export const SATELLITE_KEY = 'satellite';

const pad = (n: number) => String(n).padStart(4, '0');

export function planFleet(devices: number, fleetSeed: string, voice: boolean): FleetPlan {
  const clients: PlannedClient[] = [];
  const plugs: PlannedPlug[] = [];
  const hex = (key: string, attempt: number, length: number) =>
    hexDigits(seededRandom(hashSeed(`${fleetSeed}:${key}:${attempt}`)), length);
  let zigbeePlugs = 0;

  for (let i = 0; i < devices; i++) {
    const profile = PLUG_PROFILES[i % PLUG_PROFILES.length] as PlugProfile;
    // Shifted by one every round, so each profile meets each appliance.
    const appliance = APPLIANCE_KINDS[(i + Math.floor(i / 4)) % APPLIANCE_KINDS.length] as ApplianceKind;
    const key = `plug-${pad(i + 1)}`;
    const name = `${APPLIANCE_NAMES[appliance]} ${pad(i + 1)} (simulated)`;
    if (profile !== 'zigbee2mqtt-plug') {
      clients.push({
        key,
        profile,
        name,
        identity: (attempt) => singleIdentity(profile, hex(key, attempt, 12)),
      });
      plugs.push({ key, profile, appliance, clientKey: key });
      continue;
    }
    const bridge = Math.floor(zigbeePlugs / PLUGS_PER_BRIDGE) + 1;
    zigbeePlugs++;
    const bridgeKey = `zigbee2mqtt-bridge-${String(bridge).padStart(2, '0')}`;
    if (!clients.some((client) => client.key === bridgeKey)) {
      clients.push({
        key: bridgeKey,
        profile: 'zigbee2mqtt-plug',
        name: `Zigbee2MQTT bridge ${bridge} (simulated)`,
        identity: (attempt) =>
          `zigbee2mqtt_sim${bridge}${attempt === 0 ? '' : `_${hex(bridgeKey, attempt, 4)}`}`,
      });
    }
    plugs.push({
      key,
      profile,
      appliance,
      clientKey: bridgeKey,
      child: `${appliance.replace('-', '_')}_${pad(i + 1)}`,
    });
  }

  if (voice) {
    clients.push({
      key: SPEAKER_KEY,
      profile: 'homepay-speaker',
      name: 'Kitchen speaker (simulated)',
      identity: () => undefined,
    });
    clients.push({
      key: SATELLITE_KEY,
      profile: 'rhasspy-satellite',
      name: 'Living room satellite (simulated)',
      identity: (attempt) => `livingroom-sim${attempt === 0 ? '' : `-${hex(SATELLITE_KEY, attempt, 4)}`}`,
    });
  }
  return { clients, plugs };
}

/** Identities as the firmware makes them from the MAC: `tasmota_8A1F2C`, `shellyplug-s-7C87CE`, ... */
function singleIdentity(profile: PlugProfile, hex: string): string {
  switch (profile) {
    case 'tasmota-plug':
      return `tasmota_${hex.slice(0, 6).toUpperCase()}`;
    case 'shelly-gen1-plug':
      return `shellyplug-s-${hex.slice(0, 6).toUpperCase()}`;
    case 'shelly-gen2-plug':
      return `shellyplusplugs-${hex}`;
    case 'zigbee2mqtt-plug':
      throw new Error('Zigbee2MQTT plugs have no identity of their own');
  }
}

/** The MQTT client id the real firmware would use. */
export function clientIdFor(profile: ClientProfile, identity: string, deviceId: string): string {
  switch (profile) {
    case 'tasmota-plug':
      return `DVES_${identity.slice(-6)}`;
    case 'shelly-gen1-plug':
    case 'shelly-gen2-plug':
      return identity;
    case 'zigbee2mqtt-plug':
      return `${identity}_${deviceId.slice(-6)}`;
    case 'homepay-speaker':
      return deviceId;
    case 'rhasspy-satellite':
      return `rhasspy-${identity}`;
  }
}
