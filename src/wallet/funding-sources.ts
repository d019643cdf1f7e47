import { type Clock, isoNow } from '../clock.js';
import { HubError } from '../errors.js';
import { newId } from '../ids.js';
import type { PaymentProvider } from '../payments/provider/provider.js';
import { type Db, prepared } from '../store/database.js';
import { type Bank, bankByCode, bankFromBin } from './bank-bins.js';
import { last4, luhnValid, normalizeCardNumber } from './card-number.js';

export type FundingSourceKind = 'debit_card' | 'credit_card' | 'alipay' | 'wechat_pay';
export type FundingSourceStatus = 'active' | 'frozen' | 'removed';

/** What a client may see of a funding source: never the provider token, never a full number. */
export interface FundingSource {
  id: string;
  kind: FundingSourceKind;
  bank?: Bank;
  last4?: string;
  /** Masked: `138****5678`, `a***@example.com`. */
  account?: string;
  holder?: string;
  status: FundingSourceStatus;
  createdAt: string;
}

export interface NewFundingSource {
  kind: FundingSourceKind;
  /** Cards only: handed to the provider for a token, then forgotten. */
  number?: string;
  holder?: string;
  /** Alipay / WeChat Pay only: a mainland mobile number or an email address. */
  account?: string;
}

interface FundingSourceRow {
  id: string;
  kind: FundingSourceKind;
  bank: string | null;
  last4: string | null;
  account: string | null;
  holder: string | null;
  token: string;
  status: FundingSourceStatus;
  created_at: string;
}

export interface FundingSourcesContext {
  db: Db;
  provider: PaymentProvider;
  clock: Clock;
  /**
   * Told after a source is frozen, released or removed, e.g. to publish an event or alert the
   * phones. The freeze reason reaches only this: the table has no column for it.
   */
  onChange?(change: FundingSourceChange): void;
  /** Seals provider tokens at rest (AES-256-GCM under the data key); plain when not given (tests). */
  secrets?: SecretSealer;
}

/** What a store of secrets at rest needs: see src/secrets/data-keys.ts. */
export interface SecretSealer {
  seal(plaintext: string): string;
  reveal(stored: string): string;
}

const PLAIN: SecretSealer = { seal: (value) => value, reveal: (value) => value };

export interface FundingSourceChange {
  id: string;
  from: FundingSourceStatus;
  to: FundingSourceStatus;
  reason?: string;
}

const MOBILE = /^1[3-9]\d{9}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The household's cards and payment accounts. A card number goes to the provider and nowhere
 * else: not to the database, not to a log, not into an error message. The provider's token stays
 * inside this class except through `tokenFor`, which the payment core calls to move money.
 */
export class FundingSources {
  private readonly db: Db;
  private readonly provider: PaymentProvider;
  private readonly clock: Clock;
  private readonly onChange: (change: FundingSourceChange) => void;
  private readonly secrets: SecretSealer;

  constructor(context: FundingSourcesContext) {
    this.db = context.db;
    this.provider = context.provider;
    this.clock = context.clock;
    this.onChange = context.onChange ?? (() => {});
    this.secrets = context.secrets ?? PLAIN;
  }

  async add(input: NewFundingSource): Promise<FundingSource> {
    const holder = input.holder?.trim() || null;
    if (holder && holder.length > 100)
      throw new HubError('invalid_request', 'holder must be at most 100 characters');
    const isCard = input.kind === 'debit_card' || input.kind === 'credit_card';
    const fields = isCard ? await this.tokenizeCard(input, holder) : await this.linkAccount(input);
    const id = newId('fs');
    prepared(
      this.db,
      `INSERT INTO funding_sources (id, kind, bank, last4, account, holder, token, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?)`,
    ).run(
      id,
      input.kind,
      fields.bank,
      fields.last4,
      fields.account,
      holder,
      this.secrets.seal(fields.token),
      isoNow(this.clock),
    );
    return this.require(id);
  }

  /** Every source not removed, oldest first: what can pay or be released. */
  list(): FundingSource[] {
    const rows = prepared(
      this.db,
      "SELECT * FROM funding_sources WHERE status != 'removed' ORDER BY created_at, id",
    ).all() as FundingSourceRow[];
    return rows.map(toPublic);
  }

  /** Removed sources too: intents and transactions still name them. */
  get(id: string): FundingSource | undefined {
    const row = this.row(id);
    return row ? toPublic(row) : undefined;
  }

  require(id: string): FundingSource {
    const source = this.get(id);
    if (!source) throw new HubError('funding_source_not_found', `No funding source with id ${id}`);
    return source;
  }

  /**
   * The provider token to pay with, only while the source is active: a frozen or removed source
   * cannot move money.
   */
  tokenFor(id: string): string {
    const row = this.row(id);
    if (!row) throw new HubError('funding_source_not_found', `No funding source with id ${id}`);
    if (row.status === 'frozen') {
      throw new HubError(
        'funding_source_frozen',
        `Funding source ${id} is frozen until the admin releases it`,
      );
    }
    if (row.status === 'removed')
      throw new HubError('funding_source_removed', `Funding source ${id} was removed`);
    return this.secrets.reveal(row.token);
  }

  /** Stops a source from paying, e.g. after one of its transactions was reported as suspicious. */
  freeze(id: string, reason: string): FundingSource {
    return this.setStatus(id, 'frozen', ['active', 'frozen'], reason);
  }

  /** Un-freezes a source; releasing an active one changes nothing. */
  release(id: string): FundingSource {
    return this.setStatus(id, 'active', ['active', 'frozen']);
  }

  /** Marks a source removed but keeps the row, since intents and transactions refer to it. */
  remove(id: string): FundingSource {
    return this.setStatus(id, 'removed', ['active', 'frozen', 'removed']);
  }

  private setStatus(
    id: string,
    status: FundingSourceStatus,
    from: FundingSourceStatus[],
    reason?: string,
  ): FundingSource {
    const current = this.require(id);
    if (!from.includes(current.status)) {
      throw new HubError('funding_source_removed', `Funding source ${id} was removed`);
    }
    if (current.status === status) return current;
    prepared(this.db, 'UPDATE funding_sources SET status = ? WHERE id = ?').run(status, id);
    this.onChange({ id, from: current.status, to: status, ...(reason ? { reason } : {}) });
    return { ...current, status };
  }

  private row(id: string): FundingSourceRow | undefined {
    return prepared(this.db, 'SELECT * FROM funding_sources WHERE id = ?').get(id) as
      | FundingSourceRow
      | undefined;
  }

  private async tokenizeCard(input: NewFundingSource, holder: string | null): Promise<StoredFields> {
    if (input.account !== undefined)
      throw new HubError('invalid_request', 'A card has a number, not an account');
    if (!input.number) throw new HubError('invalid_request', 'A card needs its number');
    const number = normalizeCardNumber(input.number);
    if (!number || !luhnValid(number)) {
      throw new HubError('invalid_card_number', 'That is not a valid card number: check the digits');
    }
    const { token } = await this.provider.tokenizeCard({
      number,
      ...(holder ? { holder } : {}),
    });
    return { token, bank: bankFromBin(number)?.code ?? null, last4: last4(number), account: null };
  }

  private async linkAccount(input: NewFundingSource): Promise<StoredFields> {
    const kind = input.kind as 'alipay' | 'wechat_pay';
    if (input.number !== undefined) throw new HubError('invalid_request', 'An account has no card number');
    if (!input.account) throw new HubError('invalid_request', `A ${kind} source needs its account`);
    const account = normalizeAccount(input.account);
    if (!account) {
      throw new HubError(
        'invalid_account',
        'The account must be a mainland mobile number or an email address',
      );
    }
    const { token } = await this.provider.linkAccount(kind, account);
    return { token, bank: null, last4: null, account: maskAccount(account) };
  }
}

interface StoredFields {
  token: string;
  bank: string | null;
  last4: string | null;
  account: string | null;
}

/** A mobile number without spaces, dashes or +86, or a lower-cased email; `null` otherwise. */
export function normalizeAccount(input: string): string | null {
  const trimmed = input.trim();
  const phone = trimmed.replace(/[\s-]/g, '').replace(/^\+?86/, '');
  if (MOBILE.test(phone)) return phone;
  const email = trimmed.toLowerCase();
  return email.length <= 254 && EMAIL.test(email) ? email : null;
}

/**
 * Enough of an account for a person to recognise it, as Alipay itself shows it: `138****5678`,
 * `a***@example.com`. The full account lives at the provider, behind the token.
 */
export function maskAccount(account: string): string {
  const at = account.indexOf('@');
  if (at < 0) return `${account.slice(0, 3)}****${account.slice(-4)}`;
  return `${account.slice(0, 1)}***${account.slice(at)}`;
}

function toPublic(row: FundingSourceRow): FundingSource {
  return {
    id: row.id,
    kind: row.kind,
    ...(row.bank
      ? { bank: bankByCode(row.bank) ?? { code: row.bank, name: row.bank, nameEn: row.bank } }
      : {}),
    ...(row.last4 ? { last4: row.last4 } : {}),
    ...(row.account ? { account: row.account } : {}),
    ...(row.holder ? { holder: row.holder } : {}),
    status: row.status,
    createdAt: row.created_at,
  };
}
