import type { AdminSecurityKeys } from '../admin/admin-security-keys.js';
import type { AdminUsers } from '../admin/admin-users.js';
import type { Approvals } from '../confirm/approvals.js';
import type { Phones } from '../confirm/phones.js';
import type { SseChannel } from '../confirm/push/sse.js';
import type { PushSubscriptions } from '../confirm/push/web-push.js';
import type { WebAuthnCredentials } from '../confirm/webauthn.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { EnergySpend } from '../energy/energy-spend.js';
import type { MerchantKeys } from '../merchants/merchant-keys.js';
import type { WebhookSigner } from '../merchants/webhook-signing.js';
import type { MerchantWebhooks } from '../merchants/webhooks.js';
import type { PaymentIntents } from '../payments/intents.js';
import type { HouseholdOrdering } from '../voice/household-ordering.js';
import type { OrderStore } from '../voice/orders.js';
import type { SpeakerPolicy } from '../voice/policy.js';
import type { FundingSources } from '../wallet/funding-sources.js';
import type { Ledger } from '../wallet/ledger.js';
import type { Wallet } from '../wallet/wallet.js';
import type { TokenResolver } from './plugins/auth.js';

/** What the HTTP layer may call: handed in by the composition root, never imported from domains. */
export interface ApiServices {
  version: string;
  mqtt(): { port: number } | { url: string };
  registry: DeviceRegistry;
  tokenResolvers: TokenResolver[];
  /** People who log in with password + TOTP or a security key (scripts use the admin token). */
  adminUsers: AdminUsers;
  /** Each person's security keys (WebAuthn), the other second factor of their login. */
  adminSecurityKeys: AdminSecurityKeys;
  now(): number;
  /** `homepay keys rotate`: a new data key, every secret at rest re-sealed under it. */
  rotateDataKey(): { keyId: string; rows: number; files: number };
  intents: PaymentIntents;
  /** Voice orders, read-only: the voice domain writes them. */
  orders: OrderStore;
  /** The home-wide voice ordering switch (child lock): `PUT /api/voice/ordering`. */
  voiceOrdering: HouseholdOrdering;
  approvals: Approvals;
  phones: Phones;
  sse: SseChannel;
  ledger: Ledger;
  fundingSources: FundingSources;
  /** Points, offers, records, refunds, reports, budgets, goals, insights (issue 7). */
  wallet: Wallet;
  merchants: { keys: MerchantKeys; webhooks: MerchantWebhooks; signer: WebhookSigner };
  /** Energy spend: device and home energy state, threshold rules and their alerts. */
  energy: EnergySpend;
  /** The link a phone opens to pair: `<public url>/pair?code=...`. */
  pairingUrl(code: string): string;
  /** What the phone web app needs beyond the API: WebAuthn, Web Push, the biometric threshold. */
  webApp: {
    webauthn: WebAuthnCredentials;
    pushSubscriptions: PushSubscriptions;
    /** Absent when Web Push is turned off. */
    vapidPublicKey: string | undefined;
    biometricAbove: number | undefined;
    /** The ordering policy a speaker works under (config `voice`), shown read-only in settings. */
    speakerPolicy(device: { id: string; name: string }): SpeakerPolicy;
  };
  /** The hub's CA, when TLS is on: served at /ca.crt, its fingerprint shown for people to compare. */
  tls?: {
    caCertPem: string;
    caFingerprint: string;
    /** A client certificate for MQTT over TLS, signed by the hub's CA (its key is shown once). */
    issueDeviceCertificate(deviceId: string): Promise<{ certPem: string; keyPem: string; serial: string }>;
  };
}
