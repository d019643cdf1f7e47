import type { CatalogItem } from '../catalog/schema.js';
import type { Settings } from '../config/schema.js';

export type SpeakerPolicy = Settings['voice']['policy'];

/** Why a speaker may not place this order; each is spoken with its reason. */
export type PolicyRefusal =
  | { reason: 'household_off' }
  | { reason: 'ordering_off' }
  | { reason: 'voice_profile' }
  | { reason: 'quiet_hours'; from: string; to: string }
  | { reason: 'category'; category: string }
  | { reason: 'quantity'; item: CatalogItem; max: number }
  | { reason: 'max_per_order'; amount: number; max: number }
  | { reason: 'daily_cap'; amount: number; already: number; cap: number };

/**
 * The policy of one device: the household default, then an override keyed by the device's name
 * (what people write in a config: "kitchen", a Hermes siteId), then one keyed by its id, which is
 * the most specific and wins.
 */
export function policyFor(voice: Settings['voice'], device: { id: string; name?: string }): SpeakerPolicy {
  const byName = device.name === undefined ? undefined : voice.speakers[device.name];
  const byId = voice.speakers[device.id];
  return { ...voice.policy, ...definedOnly(byName), ...definedOnly(byId) };
}

/**
 * The checks that need no price, in the order a person would want to hear them: a speaker that may
 * not order says so before it complains about the hour or the item.
 */
export function refusalBeforePricing(
  policy: SpeakerPolicy,
  order: {
    items: Array<{ item: CatalogItem; quantity: number }>;
    voiceProfile?: string;
    minuteOfDay: number;
  },
): PolicyRefusal | undefined {
  if (!policy.ordering) return { reason: 'ordering_off' };
  if (policy.voiceProfiles && !(order.voiceProfile && policy.voiceProfiles.includes(order.voiceProfile))) {
    return { reason: 'voice_profile' };
  }
  const quiet = policy.quietHours;
  if (quiet && inWindow(order.minuteOfDay, minutes(quiet.from), minutes(quiet.to))) {
    return { reason: 'quiet_hours', from: quiet.from, to: quiet.to };
  }
  if (!policy.categories.includes('*')) {
    const barred = order.items.find(({ item }) => !policy.categories.includes(item.category));
    if (barred) return { reason: 'category', category: barred.item.category };
  }
  const tooMany = order.items.find(({ quantity }) => quantity > policy.maxQuantity);
  if (tooMany) return { reason: 'quantity', item: tooMany.item, max: policy.maxQuantity };
  return undefined;
}

/** The checks on the amount the phone would sign, after offers and points. */
export function refusalOfAmount(
  policy: SpeakerPolicy,
  amount: number,
  orderedToday: number,
): PolicyRefusal | undefined {
  if (amount > policy.maxPerOrder) return { reason: 'max_per_order', amount, max: policy.maxPerOrder };
  if (orderedToday + amount > policy.dailyCap) {
    return { reason: 'daily_cap', amount, already: orderedToday, cap: policy.dailyCap };
  }
  return undefined;
}

function minutes(hhmm: string): number {
  const [hours, mins] = hhmm.split(':').map(Number);
  return (hours ?? 0) * 60 + (mins ?? 0);
}

/** [from, to) in minutes of the day; a window past midnight (22:00-07:00) wraps; from = to is none. */
export function inWindow(minute: number, from: number, to: number): boolean {
  if (from === to) return false;
  return from < to ? minute >= from && minute < to : minute >= from || minute < to;
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
