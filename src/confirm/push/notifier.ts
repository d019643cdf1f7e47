import type { EventBus } from '../../events.js';
import type { Logger } from '../../logger.js';
import type { Intent } from '../../payments/intent.js';
import type { PushChannel, PushNotification } from './channel.js';

/** Money as people read it on a phone: ¥38.70 (minor units in, never a float on the way). */
export function formatYuan(amount: number, currency: string): string {
  const sign = currency === 'CNY' ? '¥' : `${currency} `;
  const whole = Math.floor(amount / 100);
  const cents = String(amount % 100).padStart(2, '0');
  return `${sign}${whole}.${cents}`;
}

/**
 * Tells every phone about intents: a new one waits for approval, an old one ended. Each channel
 * is tried on its own; one failing (ntfy down) is logged and does not stop the others.
 */
export class PushNotifier {
  constructor(
    private readonly channels: PushChannel[],
    private readonly events: EventBus,
    private readonly logger: Logger,
    private readonly webAppUrl: () => string,
  ) {}

  start(): void {
    this.events.on(this, 'intent.changed', ({ intent, from }) => {
      if (from === null) return this.push(this.approvalNeeded(intent));
      if (intent.status !== 'processing') return this.push(this.updated(intent));
    });
  }

  stop(): void {
    this.events.removeAllOf(this);
  }

  private async push(notification: PushNotification): Promise<void> {
    await Promise.all(
      this.channels.map((channel) =>
        channel.send(notification).catch((err: unknown) => {
          this.logger.warn(
            { channel: channel.name, intentId: notification.intentId, err: (err as Error).message },
            'push failed',
          );
        }),
      ),
    );
  }

  private approvalNeeded(intent: Intent): PushNotification {
    return {
      kind: 'approval_needed',
      intentId: intent.id,
      title: `Approve ${formatYuan(intent.amount, intent.currency)} to ${intent.payee.name}?`,
      body: `${intent.description}. Open homepay on this phone to approve or deny.`,
      url: `${this.webAppUrl()}/approve/${intent.id}`,
      data: { ...intent },
    };
  }

  private updated(intent: Intent): PushNotification {
    return {
      kind: 'intent_updated',
      intentId: intent.id,
      title: `${formatYuan(intent.amount, intent.currency)} to ${intent.payee.name}: ${intent.status}`,
      body: intent.description,
      url: `${this.webAppUrl()}/approve/${intent.id}`,
      data: { ...intent },
    };
  }
}
