import type { EnergyAlert } from '../../energy/alerts.js';
import type { EventBus } from '../../events.js';
import type { Logger } from '../../logger.js';
import { formatMoney } from '../../money.js';
import type { Intent } from '../../payments/intent.js';
import type { PushChannel, PushNotification } from './channel.js';

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
    // SPEC: an alert is pushed to phones as well as published on homepay/alert/{ruleId}.
    this.events.on(this, 'energy.alert', (alert) => this.push(this.energyAlert(alert)));
    this.events.on(this, 'wallet.alert', (alert) =>
      this.push({
        kind: 'alert',
        title: alert.title,
        body: alert.titleZh,
        url: `${this.webAppUrl()}/alerts`,
        data: { ...alert },
      }),
    );
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

  private energyAlert(alert: EnergyAlert): PushNotification {
    const money = alert.metric === 'spend' || alert.metric === 'projectedSpend';
    const show = (value: number) => (money ? formatMoney(value, 'CNY') : `${(value / 1000).toFixed(1)} kWh`);
    return {
      kind: 'alert',
      ...(alert.intentId ? { intentId: alert.intentId } : {}),
      title: `${alert.name}: ${show(alert.value)} (limit ${show(alert.threshold)}, this ${alert.period})`,
      body: alert.intentId ? 'A payment waits for your approval.' : 'Open homepay for details.',
      url: `${this.webAppUrl()}/alerts`,
      data: { ...alert },
    };
  }

  private approvalNeeded(intent: Intent): PushNotification {
    return {
      kind: 'approval_needed',
      intentId: intent.id,
      title: `Approve ${formatMoney(intent.amount, intent.currency)} to ${intent.payee.name}?`,
      body: `${intent.description}. Open homepay on this phone to approve or deny.`,
      url: `${this.webAppUrl()}/approve/${intent.id}`,
      data: { ...intent },
    };
  }

  private updated(intent: Intent): PushNotification {
    return {
      kind: 'intent_updated',
      intentId: intent.id,
      title: `${formatMoney(intent.amount, intent.currency)} to ${intent.payee.name}: ${intent.status}`,
      body: intent.description,
      url: `${this.webAppUrl()}/approve/${intent.id}`,
      data: { ...intent },
    };
  }
}
