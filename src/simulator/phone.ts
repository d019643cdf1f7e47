/**
 * The simulator's own phone, only with `--fund` or `--approve`: paired over the public API like the
 * CLI's `homepay pair`, it tops the wallet up from a sandbox test card so voice orders are not
 * refused for an empty wallet, and (with `--approve`) approves the simulated speakers' orders after
 * a human pause. It signs the SPEC's v1 approval message like any phone; an intent that needs a
 * fingerprint (WebAuthn) is left for a real phone.
 */
import { randomUUID } from 'node:crypto';
import nacl from 'tweetnacl';
import { ApiError, HubClient } from '../cli/hub-client.js';
import { approvalFieldsOf, buildApprovalMessage, signApprovalMessage } from '../confirm/approval-message.js';
import type { Intent } from '../payments/intent.js';
import type { StoredPhone } from './state-file.js';

/** A sandbox card number that passes Luhn (a UnionPay BIN); the sandbox provider charges nothing real. */
const SANDBOX_CARD = '6222 0212 3456 7890 128';

interface WalletJson {
  available: number;
  currency: string;
  fundingSources: Array<{ id: string; status: string }>;
}

export class SimulatedPhone {
  private constructor(
    private readonly stored: StoredPhone,
    private readonly client: HubClient,
    /** Adding a card is the admin's; everything else is the phone's own business. */
    private readonly admin: HubClient,
  ) {}

  get state(): StoredPhone {
    return this.stored;
  }

  /** The remembered phone if the hub still knows its token, or a newly paired one. */
  static async connect(admin: HubClient, remembered: StoredPhone | undefined): Promise<SimulatedPhone> {
    if (remembered) {
      const client = new HubClient(admin.baseUrl, remembered.token);
      try {
        await client.request('GET', '/api/wallet');
        return new SimulatedPhone(remembered, client, admin);
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 401)) throw err;
      }
    }
    const { code } = await admin.request<{ code: string }>('POST', '/api/pairing');
    const keyPair = nacl.sign.keyPair();
    const paired = await new HubClient(admin.baseUrl, undefined).request<{ phoneId: string; token: string }>(
      'POST',
      '/api/phones',
      { code, name: 'homepay simulator', publicKey: Buffer.from(keyPair.publicKey).toString('base64') },
    );
    const stored: StoredPhone = {
      phoneId: paired.phoneId,
      token: paired.token,
      secretKey: Buffer.from(keyPair.secretKey).toString('base64'),
    };
    return new SimulatedPhone(stored, new HubClient(admin.baseUrl, paired.token), admin);
  }

  /** Tops the wallet up to `target` minor units when it holds less; returns what was added. */
  async fundTo(target: number): Promise<{ added: number; currency: string }> {
    const wallet = await this.client.request<WalletJson>('GET', '/api/wallet');
    const missing = target - wallet.available;
    if (missing <= 0) return { added: 0, currency: wallet.currency };
    let sourceId = this.stored.fundingSourceId;
    if (!sourceId || !wallet.fundingSources.some((s) => s.id === sourceId && s.status === 'active')) {
      const card = await this.admin.request<{ id: string }>('POST', '/api/funding-sources', {
        kind: 'debit_card',
        number: SANDBOX_CARD,
        holder: 'homepay simulator',
      });
      sourceId = card.id;
      this.stored.fundingSourceId = sourceId;
    }
    const topup = await this.client.request<Intent>(
      'POST',
      '/api/wallet/topups',
      { amount: missing, fundingSourceId: sourceId },
      { 'idempotency-key': `simulator-topup-${randomUUID()}` },
    );
    const decided = await this.approve(topup);
    if (decided.status !== 'succeeded') {
      throw new Error(
        `the top-up ${topup.id} ended ${decided.status}${decided.lastError ? `: ${decided.lastError}` : ''}`,
      );
    }
    return { added: missing, currency: wallet.currency };
  }

  /** Intents waiting for a phone whose source is one of `deviceIds`. */
  async waiting(deviceIds: ReadonlySet<string>): Promise<Intent[]> {
    const intents = await this.client.request<Intent[]>(
      'GET',
      '/api/intents?status=requires_approval&limit=100',
    );
    return intents.filter(
      (intent) =>
        intent.source.kind === 'voice' && intent.source.deviceId && deviceIds.has(intent.source.deviceId),
    );
  }

  /** The body of `POST /api/intents/{id}/approve`: the v1 message for this intent, signed. */
  decision(intent: Intent): { phoneId: string; signature: string } {
    const message = buildApprovalMessage(approvalFieldsOf(intent, 'approve', this.stored.phoneId));
    const secretKey = new Uint8Array(Buffer.from(this.stored.secretKey, 'base64'));
    return { phoneId: this.stored.phoneId, signature: signApprovalMessage(message, secretKey) };
  }

  approve(intent: Intent): Promise<Intent> {
    return this.client.request<Intent>(
      'POST',
      `/api/intents/${encodeURIComponent(intent.id)}/approve`,
      this.decision(intent),
    );
  }
}
