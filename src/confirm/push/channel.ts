/**
 * A way to reach the household's phones. A push carries no secret: it says what is waiting and
 * links to the web app, where the phone's own key signs. Every channel must pass the conformance
 * suite in tests/contracts/push-channel.ts.
 */
export interface PushNotification {
  /**
   * `approval_needed` asks a phone to decide; `intent_updated` reports an end state; `alert` is an
   * energy rule or budget crossing, or a reported transaction.
   */
  kind: 'approval_needed' | 'intent_updated' | 'alert';
  /** The intent it is about (for an alert, only when its rule created one). */
  intentId?: string;
  title: string;
  body: string;
  /** Where the web app shows it. */
  url: string;
  /** The intent as clients see it, for channels that carry structured data (SSE). */
  data: Record<string, unknown>;
}

export interface PushChannel {
  readonly name: string;
  send(notification: PushNotification): Promise<void>;
}
