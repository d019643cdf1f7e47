import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { projectRoot } from '../paths.js';
import { type Catalog, type CatalogItem, CatalogSchema, type Merchant } from './schema.js';

/** Every problem of a catalog file at once, so a shop owner fixes it in one go. */
export class CatalogError extends Error {
  override name = 'CatalogError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`Invalid catalog ${file}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/** The demo catalog shipped in the package, used when the default `catalog` path has no file. */
export const BUNDLED_CATALOG = path.join(projectRoot, 'config', 'catalog.yaml');

const validate = new Ajv({ allErrors: true, useDefaults: true, strict: false }).compile<Catalog>(
  CatalogSchema,
);

/**
 * The file to read. The `catalog` setting is resolved against the working directory, so a hub
 * started elsewhere with the default setting finds no `config/catalog.yaml`: it then uses the
 * bundled demo catalog, as SPEC promises `npm start` does. A catalog path someone chose that does
 * not exist is an error, never silently replaced by the demo's prices.
 */
export function resolveCatalogFile(configured: string): { file: string; bundled: boolean } {
  if (existsSync(configured))
    return { file: configured, bundled: path.resolve(configured) === BUNDLED_CATALOG };
  if (configured.endsWith(path.join('config', 'catalog.yaml')))
    return { file: BUNDLED_CATALOG, bundled: true };
  throw new CatalogError(configured, ['the file does not exist (setting `catalog`)']);
}

/** Reads and checks a catalog file; throws one `CatalogError` listing every problem. */
export function loadCatalog(file: string, walletCurrency: string): Catalog {
  let data: unknown;
  try {
    data = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CatalogError(file, [`cannot be read as YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  return parseCatalog(data, walletCurrency, file);
}

/** Checks catalog data already parsed (tests build catalogs in code). */
export function parseCatalog(data: unknown, walletCurrency: string, source = 'catalog'): Catalog {
  if (!validate(data)) throw new CatalogError(source, (validate.errors ?? []).map(describeError));
  const problems = catalogProblems(data, walletCurrency);
  if (problems.length > 0) throw new CatalogError(source, problems);
  return data;
}

/** What the schema cannot say: references, uniqueness, and names that would make a match a guess. */
export function catalogProblems(catalog: Catalog, walletCurrency: string): string[] {
  const problems: string[] = [];
  if (catalog.currency !== walletCurrency) {
    problems.push(
      `currency: the catalog prices in ${catalog.currency}, the wallet pays in ${walletCurrency}`,
    );
  }
  const merchants = new Set<string>();
  for (const merchant of catalog.merchants) {
    if (merchants.has(merchant.id)) problems.push(`merchants: "${merchant.id}" is listed twice`);
    merchants.add(merchant.id);
  }
  const skus = new Set<string>();
  // A name two items share could never be ordered by saying it: the speaker would always ask.
  const owners = new Map<string, string>();
  catalog.items.forEach((item, index) => {
    const at = `items[${index}] (${item.sku})`;
    if (skus.has(item.sku)) problems.push(`${at}: sku "${item.sku}" is listed twice`);
    skus.add(item.sku);
    if (!merchants.has(item.merchant))
      problems.push(`${at}: merchant "${item.merchant}" is not in merchants`);
    for (const name of [...item.names.zh, ...item.names.en]) {
      const key = name.normalize('NFKC').toLowerCase().trim();
      const owner = owners.get(key);
      if (owner !== undefined && owner !== item.sku) {
        problems.push(`${at}: the name "${name}" also belongs to ${owner}`);
      }
      owners.set(key, item.sku);
    }
  });
  return problems;
}

export function findItem(catalog: Catalog, sku: string): CatalogItem | undefined {
  return catalog.items.find((item) => item.sku === sku);
}

export function findMerchant(catalog: Catalog, id: string): Merchant | undefined {
  return catalog.merchants.find((merchant) => merchant.id === id);
}

/** `/items/3/price` -> `items[3].price must be integer`. */
function describeError(error: ErrorObject): string {
  const at =
    error.instancePath
      .slice(1)
      .split('/')
      .reduce((acc, key) => (/^\d+$/.test(key) ? `${acc}[${key}]` : acc ? `${acc}.${key}` : key), '') ||
    '(top level)';
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties')
    return `${at}: unknown key "${String(params.additionalProperty)}"`;
  if (error.keyword === 'required') return `${at}: missing "${String(params.missingProperty)}"`;
  return `${at}: ${error.message ?? 'is invalid'}`;
}
