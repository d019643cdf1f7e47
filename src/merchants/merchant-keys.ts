import { createHash } from 'node:crypto';
import { type Clock, isoNow } from '../clock.js';
import { HubError } from '../errors.js';
import { newId, newSecret } from '../ids.js';
import { type Db, prepared } from '../store/database.js';

export interface Merchant {
  id: string;
  name: string;
  category: string;
  /** The key's first characters, to tell keys apart in a list; never enough to use it. */
  keyPrefix: string;
  webhookUrl: string | null;
  createdAt: string;
  revokedAt: string | null;
}

interface MerchantRow {
  id: string;
  name: string;
  category: string;
  key_hash: string;
  key_prefix: string;
  webhook_url: string | null;
  created_at: string;
  revoked_at: string | null;
}

const KEY_PREFIX_CHARS = 12;

/**
 * Online shops the household buys from through the merchant API. The admin creates a merchant and
 * its API key; the key is returned once and stored only as a SHA-256 digest (it is 256 random
 * bits, so no slow hash is needed), like phone tokens.
 */
export class MerchantKeys {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  create(input: { name: string; category?: string; webhookUrl?: string }): {
    merchant: Merchant;
    key: string;
  } {
    if (input.webhookUrl !== undefined) assertWebhookUrl(input.webhookUrl);
    const id = newId('mch');
    const key = `hpm_${newSecret(32)}`;
    prepared(
      this.db,
      `INSERT INTO merchants (id, name, category, key_hash, key_prefix, webhook_url, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      input.name,
      input.category ?? 'shopping',
      digest(key),
      key.slice(0, KEY_PREFIX_CHARS),
      input.webhookUrl ?? null,
      isoNow(this.clock),
    );
    return { merchant: this.require(id), key };
  }

  /** Replaces a merchant's key; the old one stops working at once. */
  rotate(id: string): { merchant: Merchant; key: string } {
    const merchant = this.require(id);
    if (merchant.revokedAt) throw new HubError('merchant_not_found', `Merchant ${id} was revoked`);
    const key = `hpm_${newSecret(32)}`;
    prepared(this.db, 'UPDATE merchants SET key_hash = ?, key_prefix = ? WHERE id = ?').run(
      digest(key),
      key.slice(0, KEY_PREFIX_CHARS),
      id,
    );
    return { merchant: this.require(id), key };
  }

  setWebhook(id: string, webhookUrl: string | null): Merchant {
    this.require(id);
    if (webhookUrl !== null) assertWebhookUrl(webhookUrl);
    prepared(this.db, 'UPDATE merchants SET webhook_url = ? WHERE id = ?').run(webhookUrl, id);
    return this.require(id);
  }

  revoke(id: string): Merchant {
    this.require(id);
    prepared(this.db, 'UPDATE merchants SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(
      isoNow(this.clock),
      id,
    );
    return this.require(id);
  }

  list(): Merchant[] {
    const rows = prepared(this.db, 'SELECT * FROM merchants ORDER BY created_at, id').all() as MerchantRow[];
    return rows.map(toMerchant);
  }

  get(id: string): Merchant | undefined {
    const row = prepared(this.db, 'SELECT * FROM merchants WHERE id = ?').get(id) as MerchantRow | undefined;
    return row ? toMerchant(row) : undefined;
  }

  require(id: string): Merchant {
    const merchant = this.get(id);
    if (!merchant) throw new HubError('merchant_not_found', `No merchant with id ${id}`);
    return merchant;
  }

  /** The merchant a bearer key belongs to, unless revoked. */
  forKey(key: string): Merchant | undefined {
    if (!key.startsWith('hpm_')) return undefined;
    const row = prepared(this.db, 'SELECT * FROM merchants WHERE key_hash = ? AND revoked_at IS NULL').get(
      digest(key),
    ) as MerchantRow | undefined;
    return row ? toMerchant(row) : undefined;
  }
}

function digest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function assertWebhookUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HubError('invalid_request', 'webhookUrl is not a URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new HubError('invalid_request', 'webhookUrl must be http or https');
  }
  if (parsed.username || parsed.password) {
    throw new HubError(
      'invalid_request',
      'webhookUrl must not carry credentials; verify our signature instead',
    );
  }
}

function toMerchant(row: MerchantRow): Merchant {
  return {
    id: row.id,
    name: row.name,
    category: row.category,
    keyPrefix: row.key_prefix,
    webhookUrl: row.webhook_url,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
