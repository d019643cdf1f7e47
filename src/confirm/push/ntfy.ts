import type { PushChannel, PushNotification } from './channel.js';

export interface NtfySettings {
  url: string;
  topic: string;
}

/**
 * ntfy (https://ntfy.sh or self-hosted): one HTTP POST per notification to `<url>/<topic>`, with
 * the link in the `Click` header so tapping it opens the approval screen. Only the text goes out.
 */
export class NtfyChannel implements PushChannel {
  readonly name = 'ntfy';

  constructor(
    private readonly settings: NtfySettings,
    private readonly post: typeof fetch = fetch,
  ) {}

  async send(notification: PushNotification): Promise<void> {
    const target = `${this.settings.url.replace(/\/+$/, '')}/${encodeURIComponent(this.settings.topic)}`;
    const response = await this.post(target, {
      method: 'POST',
      body: notification.body,
      headers: {
        // HTTP headers are Latin-1: ntfy decodes RFC 2047 encoded words, so Chinese titles survive.
        Title: `=?UTF-8?B?${Buffer.from(notification.title, 'utf8').toString('base64')}?=`,
        Click: notification.url,
        Tags: notification.kind === 'approval_needed' ? 'moneybag' : 'white_check_mark',
        Priority: notification.kind === 'approval_needed' ? 'high' : 'default',
      },
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`ntfy answered HTTP ${response.status}`);
  }
}
