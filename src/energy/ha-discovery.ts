/**
 * Home Assistant MQTT discovery for a metered device's energy state (protocols README section 6):
 * power (`power`, `measurement`, W), energy today and this month (`energy`, `total_increasing`, kWh:
 * the drop at midnight or on the 1st is read as a meter reset), and cost today and this month
 * (`monetary` only allows `total`, so each carries its `last_reset` from the state). Every entity
 * reads the retained state topic and is available while the hub's `homepay/status` says `online`.
 *
 * Configs are published retained, so Home Assistant finds them whenever it (re)connects and the
 * hub need not hear its `homeassistant/status` birth message; the hub republishes them at every
 * start, and empties them (retained, empty payload) when a device is removed.
 */
import { hubTopics } from '../mqtt/topics.js';

export interface DiscoveredDevice {
  deviceId: string;
  name: string;
  profile: string;
  currency: string;
  /** Only a device that reports power gets a power entity (an unknown power is not 0 W). */
  hasPower: boolean;
}

export interface DiscoveryOptions {
  prefix: string;
  version: string;
  supportUrl?: string;
}

interface Entity {
  objectId: string;
  config: Record<string, unknown>;
}

const OBJECT_IDS = ['power', 'today_energy', 'month_energy', 'today_cost', 'month_cost'] as const;

/** How many decimals a currency's minor unit has (CNY 2, JPY 0), so the template shows major units. */
export function minorDigits(currency: string): number {
  try {
    return (
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      2
    );
  } catch {
    return 2;
  }
}

export function configTopic(prefix: string, deviceId: string, objectId: string): string {
  return `${prefix}/sensor/${deviceId}/${objectId}/config`;
}

/** Every config topic a device may have, for removal. */
export function discoveryTopics(prefix: string, deviceId: string): string[] {
  return OBJECT_IDS.map((objectId) => configTopic(prefix, deviceId, objectId));
}

export function discoveryConfigs(
  device: DiscoveredDevice,
  options: DiscoveryOptions,
): Array<{ topic: string; payload: Record<string, unknown> }> {
  const digits = minorDigits(device.currency);
  const toMajor = (field: string) =>
    digits === 0
      ? `{{ value_json.${field} }}`
      : `{{ (value_json.${field} / ${10 ** digits}) | round(${digits}) }}`;
  const energy = (objectId: string, name: string, field: string): Entity => ({
    objectId,
    config: {
      name,
      device_class: 'energy',
      state_class: 'total_increasing',
      unit_of_measurement: 'kWh',
      value_template: `{{ (value_json.${field} / 1000) | round(3) }}`,
      suggested_display_precision: 2,
    },
  });
  const cost = (objectId: string, name: string, field: string, resetField: string): Entity => ({
    objectId,
    config: {
      name,
      device_class: 'monetary',
      state_class: 'total',
      unit_of_measurement: device.currency,
      value_template: toMajor(field),
      last_reset_value_template: `{{ value_json.${resetField} }}`,
      suggested_display_precision: digits,
    },
  });
  const entities: Entity[] = [
    energy('today_energy', 'Energy today', 'todayWh'),
    energy('month_energy', 'Energy this month', 'monthWh'),
    cost('today_cost', 'Electricity cost today', 'todayCost', 'todayStart'),
    cost('month_cost', 'Electricity cost this month', 'monthCost', 'monthStart'),
  ];
  if (device.hasPower) {
    entities.unshift({
      objectId: 'power',
      config: {
        name: 'Power',
        device_class: 'power',
        state_class: 'measurement',
        unit_of_measurement: 'W',
        value_template: '{{ value_json.powerW }}',
      },
    });
  }
  return entities.map(({ objectId, config }) => ({
    topic: configTopic(options.prefix, device.deviceId, objectId),
    payload: {
      ...config,
      unique_id: `homepay_${device.deviceId}_${objectId}`,
      state_topic: hubTopics.energyState(device.deviceId),
      availability_topic: hubTopics.status,
      payload_available: 'online',
      payload_not_available: 'offline',
      device: {
        identifiers: [`homepay_${device.deviceId}`],
        name: device.name,
        manufacturer: 'homepay',
        model: device.profile,
      },
      origin: {
        name: 'homepay',
        sw_version: options.version,
        ...(options.supportUrl ? { support_url: options.supportUrl } : {}),
      },
    },
  }));
}
