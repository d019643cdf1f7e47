import type { Logger } from './logger.js';

/**
 * Every event the domains exchange, with its payload type. Domains meet here instead of importing
 * each other, so the dependency arrows in ARCHITECTURE.md stay one-way. Later domains add entries.
 */
export interface EventMap {
  /** A device's client connected to or left the broker (or announced availability). */
  'device.availability': { deviceId: string; online: boolean; at: string };
  /** A device (or a bridge's child) was registered, first heard, or removed. */
  'device.added': { deviceId: string };
  'device.removed': { deviceId: string };
  /** A device's secret was replaced: a client still connected with the old one must go. */
  'device.secretRotated': { deviceId: string };
  /** A decoded message from a device, already confined to that device's own topics. */
  'device.message': {
    deviceId: string;
    profile: string;
    topic: string;
    message: import('./devices/types.js').DeviceMessage;
    receivedAt: string;
  };
  /** A phone was revoked: its open event streams must end. */
  'phone.revoked': { phoneId: string };
  /** A funding source was frozen (after a report), released or removed. */
  'fundingSource.changed': import('./wallet/funding-sources.js').FundingSourceChange;
  /** A wallet alert for the phones: a budget line crossed, a transaction reported (wallet.ts). */
  'wallet.alert': import('./wallet/wallet.js').WalletAlert;
  /** A speaker's words became an order waiting for a phone (one per merchant of the order). */
  'order.created': { order: import('./voice/orders.js').VoiceOrder };
  /** An intent was created (`from` null) or changed state; published on homepay/intent/{id}. */
  'intent.changed': {
    intent: import('./payments/intent.js').Intent;
    from: import('./payments/intent.js').IntentStatus | null;
  };
  /** An energy rule crossed its threshold (published on homepay/alert/{ruleId}); for phone pushes. */
  'energy.alert': import('./energy/alerts.js').EnergyAlert;
}

export type EventName = keyof EventMap;
type Listener<K extends EventName> = (payload: EventMap[K]) => void | Promise<void>;

/**
 * A typed event bus that contains failures: a throwing (or rejecting) listener is logged and the
 * other listeners still run. Listeners are registered with an owner so a domain can remove all of
 * its own on stop without knowing what it registered.
 */
export class EventBus {
  private readonly listeners = new Map<EventName, Array<{ owner: object; fn: Listener<EventName> }>>();

  constructor(private readonly logger: Logger) {}

  on<K extends EventName>(owner: object, event: K, fn: Listener<K>): void {
    const list = this.listeners.get(event) ?? [];
    list.push({ owner, fn: fn as Listener<EventName> });
    this.listeners.set(event, list);
  }

  emit<K extends EventName>(event: K, payload: EventMap[K]): void {
    for (const { fn } of this.listeners.get(event) ?? []) {
      try {
        const result = fn(payload);
        if (result instanceof Promise) {
          result.catch((err: unknown) => this.logger.error({ err, event }, 'event listener failed'));
        }
      } catch (err) {
        this.logger.error({ err, event }, 'event listener failed');
      }
    }
  }

  removeAllOf(owner: object): void {
    for (const [event, list] of this.listeners) {
      this.listeners.set(
        event,
        list.filter((entry) => entry.owner !== owner),
      );
    }
  }

  listenerCount(event: EventName): number {
    return this.listeners.get(event)?.length ?? 0;
  }
}
