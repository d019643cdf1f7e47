import type { Approvals } from '../confirm/approvals.js';
import type { Phones } from '../confirm/phones.js';
import type { SseChannel } from '../confirm/push/sse.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { PaymentIntents } from '../payments/intents.js';
import type { FundingSources } from '../wallet/funding-sources.js';
import type { Ledger } from '../wallet/ledger.js';
import type { TokenResolver } from './plugins/auth.js';

/** What the HTTP layer may call: handed in by the composition root, never imported from domains. */
export interface ApiServices {
  version: string;
  mqtt(): { port: number } | { url: string };
  registry: DeviceRegistry;
  tokenResolvers: TokenResolver[];
  intents: PaymentIntents;
  approvals: Approvals;
  phones: Phones;
  sse: SseChannel;
  ledger: Ledger;
  fundingSources: FundingSources;
  /** The link a phone opens to pair: `<public url>/pair?code=...`. */
  pairingUrl(code: string): string;
}
