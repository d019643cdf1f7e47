import { type Static, Type } from 'typebox';

/**
 * The product catalog voice orders are matched against (SPEC "Voice orders"), as the file
 * `config/catalog.yaml` writes it. The types below are derived from this schema, never written
 * twice; wallet offers and the merchant API read them too.
 */

const Names = Type.Array(Type.String({ minLength: 1, maxLength: 60 }), {
  minItems: 1,
  description: 'The first name is the one spoken back; the others are aliases people say',
});

export const MerchantSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9]+(_[a-z0-9]+)*$', description: 'payee id, e.g. mi_store' }),
    name: Type.String({ minLength: 1, description: 'payee name shown on the phone, e.g. 小米商城' }),
    ecosystem: Type.Boolean({
      default: false,
      description: 'A Mi ecosystem merchant: ecosystem offers (config/offers.yaml) may apply',
    }),
  },
  { additionalProperties: false },
);

export const CatalogItemSchema = Type.Object(
  {
    sku: Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', description: 'stable id, e.g. cat-food-2kg' }),
    merchant: Type.String({ minLength: 1, description: 'id of one of `merchants`' }),
    category: Type.String({
      pattern: '^[a-z][a-z0-9_]*$',
      description: 'e.g. pets, groceries; speaker policies allow categories by this name',
    }),
    price: Type.Integer({
      minimum: 1,
      maximum: 100_000_000,
      description: 'minor units (fen) per unit, never a decimal',
    }),
    names: Type.Object({ zh: Names, en: Names }, { additionalProperties: false }),
    units: Type.Object(
      {
        zh: Type.String({ minLength: 1, maxLength: 4, description: 'measure word: 袋, 箱, 瓶, 个, 台 ...' }),
        en: Type.String({
          minLength: 1,
          maxLength: 20,
          description: 'singular unit: bag, box, bottle ...; "piece" reads as "two Mi Band 8"',
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const CatalogSchema = Type.Object(
  {
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217; must be the wallet currency' }),
    merchants: Type.Array(MerchantSchema, { minItems: 1 }),
    items: Type.Array(CatalogItemSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export type Merchant = Static<typeof MerchantSchema>;
export type CatalogItem = Static<typeof CatalogItemSchema>;
export type Catalog = Static<typeof CatalogSchema>;
export type CatalogLanguage = keyof CatalogItem['names'];
