import { existsSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { type Static, Type } from 'typebox';
import { parse as parseYaml } from 'yaml';
import { type Clock, isoNow } from '../clock.js';
import { describeSchemaError } from '../config/load.js';
import { HubError } from '../errors.js';
import { newId } from '../ids.js';
import { type Db, prepared } from '../store/database.js';

/**
 * Ecosystem offers (`config/offers.yaml`): a percentage or a fixed amount off each unit of the
 * catalog items or merchants they match, within a time window, optionally for a limited number of
 * units across the household. Offers match on sku, merchant and category strings, the same ones
 * the catalog and `OrderLine` use, so they do not depend on how the catalog is loaded.
 */

const Id = Type.String({ pattern: '^[a-z0-9]+([-_][a-z0-9]+)*$' });

const OfferSchema = Type.Object(
  {
    id: Id,
    name: Type.String({
      minLength: 1,
      maxLength: 60,
      description: 'Shown on the phone, e.g. 小米生态猫粮九折',
    }),
    match: Type.Object(
      {
        skus: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
        merchants: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
        categories: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
      },
      { additionalProperties: false, minProperties: 1 },
    ),
    discount: Type.Union([
      Type.Object({ percent: Type.Integer({ minimum: 1, maximum: 100 }) }, { additionalProperties: false }),
      Type.Object(
        { amount: Type.Integer({ minimum: 1, description: 'minor units off each unit' }) },
        { additionalProperties: false },
      ),
    ]),
    starts: Type.Optional(Type.String({ format: 'date-time' })),
    ends: Type.Optional(Type.String({ format: 'date-time' })),
    quantity: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Units at this price in all; never oversold' }),
    ),
    perOrder: Type.Optional(Type.Integer({ minimum: 1, description: 'Units one order may take' })),
  },
  { additionalProperties: false },
);

const OffersFileSchema = Type.Object({ offers: Type.Array(OfferSchema) }, { additionalProperties: false });

export type Offer = Static<typeof OfferSchema>;

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('date-time', (value: string) => !Number.isNaN(Date.parse(value)) && /T/.test(value));
const validateFile = ajv.compile<Static<typeof OffersFileSchema>>(OffersFileSchema);

/**
 * Reads and checks an offers file, every problem at once. A missing file is no offers when
 * `optional` (the default path), and an error when the config named it.
 */
export function loadOffers(file: string, optional: boolean): Offer[] {
  if (!existsSync(file)) {
    if (optional) return [];
    throw new HubError('invalid_config', `The offers file ${file} does not exist`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new HubError('invalid_config', `${file} is not valid YAML: ${(err as Error).message}`);
  }
  return validateOffers(parsed ?? { offers: [] }, file);
}

export function validateOffers(data: unknown, source: string): Offer[] {
  if (!validateFile(data)) {
    const problems = (validateFile.errors ?? []).map(describeSchemaError);
    throw new HubError('invalid_config', `Invalid offers in ${source}:\n  - ${problems.join('\n  - ')}`);
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const offer of data.offers) {
    if (seen.has(offer.id)) problems.push(`offers: the id ${offer.id} is used twice`);
    seen.add(offer.id);
    if (offer.starts && offer.ends && Date.parse(offer.starts) >= Date.parse(offer.ends)) {
      problems.push(`offers.${offer.id}: ends must be after starts`);
    }
  }
  if (problems.length > 0) {
    throw new HubError('invalid_config', `Invalid offers in ${source}:\n  - ${problems.join('\n  - ')}`);
  }
  return data.offers;
}

export interface OfferLine {
  sku: string;
  merchantId: string;
  category: string;
  unitPrice: number;
}

/** Minor units off one unit at `unitPrice`: a percentage rounds down, neither exceeds the price. */
export function unitDiscount(offer: Offer, unitPrice: number): number {
  const off =
    'percent' in offer.discount
      ? Math.floor((unitPrice * offer.discount.percent) / 100)
      : offer.discount.amount;
  return Math.min(off, unitPrice);
}

export type ClaimStatus = 'reserved' | 'held' | 'used' | 'released';

/** An order's claim must be linked to its intent within this time, or its units go back. */
export const UNLINKED_CLAIM_TTL_MS = 2 * 60_000;

/**
 * The offers in force and the claims on their limited units. `remaining` and `claim` must run in
 * one IMMEDIATE transaction (the pricing does that), so two orders can never both take the last
 * unit, even from two processes sharing the database file.
 */
export class Offers {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    readonly all: readonly Offer[],
  ) {}

  get(id: string): Offer | undefined {
    return this.all.find((offer) => offer.id === id);
  }

  /** Offers in their time window that match a line, best discount first. */
  matching(line: OfferLine, at: number): Offer[] {
    return this.all
      .filter((offer) => isActive(offer, at) && matches(offer, line))
      .sort((a, b) => unitDiscount(b, line.unitPrice) - unitDiscount(a, line.unitPrice));
  }

  /** Units left of a limited offer (`Infinity` when unlimited): its quantity minus claims not released. */
  remaining(offer: Offer): number {
    if (offer.quantity === undefined) return Number.POSITIVE_INFINITY;
    const row = prepared(
      this.db,
      "SELECT COALESCE(SUM(quantity), 0) AS taken FROM offer_claims WHERE offer_id = ? AND status != 'released'",
    ).get(offer.id) as { taken: number };
    return Math.max(0, offer.quantity - row.taken);
  }

  /** Takes `quantity` units for an order; linked to its intent now or when the intent is created. */
  claim(offerId: string, quantity: number, intentId?: string): string {
    const id = newId('claim');
    prepared(
      this.db,
      'INSERT INTO offer_claims (id, offer_id, quantity, intent_id, status, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(id, offerId, quantity, intentId ?? null, intentId ? 'held' : 'reserved', isoNow(this.clock));
    return id;
  }

  /** Ties a priced order's claim to the intent made from it; refused when its units went back. */
  link(claimId: string, intentId: string): void {
    const result = prepared(
      this.db,
      `UPDATE offer_claims SET intent_id = ?, status = 'held'
         WHERE id = ? AND (status = 'reserved' OR (status = 'held' AND intent_id = ?))`,
    ).run(intentId, claimId, intentId);
    if (result.changes !== 1) {
      throw new HubError(
        'offer_unavailable',
        'The offer this order was priced with is no longer held for it; price the order again',
      );
    }
  }

  /** `used` when the intent succeeded, `released` (units back) when it did not. */
  resolveForIntent(intentId: string, to: 'used' | 'released'): number {
    return prepared(
      this.db,
      "UPDATE offer_claims SET status = ?, resolved_at = ? WHERE intent_id = ? AND status IN ('reserved', 'held')",
    ).run(to, isoNow(this.clock), intentId).changes;
  }

  /** Claims no intent took up in time (the order was never placed) give their units back. */
  releaseUnlinked(): number {
    const cutoff = new Date(this.clock.now() - UNLINKED_CLAIM_TTL_MS).toISOString();
    return prepared(
      this.db,
      "UPDATE offer_claims SET status = 'released', resolved_at = ? WHERE status = 'reserved' AND created_at < ?",
    ).run(isoNow(this.clock), cutoff).changes;
  }
}

function isActive(offer: Offer, at: number): boolean {
  if (offer.starts && at < Date.parse(offer.starts)) return false;
  if (offer.ends && at >= Date.parse(offer.ends)) return false;
  return true;
}

function matches(offer: Offer, line: OfferLine): boolean {
  const { skus, merchants, categories } = offer.match;
  // Every criterion given must hold: `merchants: [mi_store], categories: [pets]` is pet food at Mi.
  if (skus && !skus.includes(line.sku)) return false;
  if (merchants && !merchants.includes(line.merchantId)) return false;
  if (categories && !categories.includes(line.category)) return false;
  return true;
}
