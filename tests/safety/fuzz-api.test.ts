import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Intent } from '../../src/payments/intent.js';
import { startHub } from '../helpers/hub.js';
import { createIntent, fundWallet, pairPhone } from '../helpers/phone.js';
import { checkDatabase } from './crash-harness/checker.js';
import { deepMutated, edgeStrings, hostileValue, megabyteJson } from './hostile.js';

/**
 * Every HTTP route, found in the hub's own OpenAPI document (`/docs/json`), so a route added
 * tomorrow is fuzzed without touching this file. Each gets requests built from its declared schema
 * and then broken: wrong types, huge, negative and fractional amounts, unicode, prototype keys,
 * bodies that are not JSON, 1 MB bodies, hostile path and query values, and every kind of token.
 * A route must answer with a clear 4xx (`{"error": {"code", "message"}}`) or succeed; never a 5xx,
 * never a crash, and the wallet's money must not move.
 */

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
};
interface Operation {
  summary?: string;
  parameters?: Array<{ in: 'path' | 'query' | 'header'; name: string; schema: Schema; required?: boolean }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
}
interface Route {
  method: string;
  path: string;
  operation: Operation;
}

const hub = await startHub();
const phone = await pairPhone(hub);
await fundWallet(hub, phone, 200_000);
const pending: Intent = await createIntent(hub, { amount: 1234 });
const openapi = (await hub.api({ method: 'GET', url: '/docs/json', token: null })).json() as {
  paths: Record<string, Record<string, Operation>>;
};
const routes: Route[] = Object.entries(openapi.paths).flatMap(([path, operations]) =>
  Object.entries(operations).map(([method, operation]) => ({
    method: method.toUpperCase(),
    path,
    operation,
  })),
);
const before = checkDatabase(`${hub.dataDir}/homepay.db`).stats;
const RUNS = Number(process.env.HOMEPAY_FUZZ_RUNS ?? 300);
let requests = 0;

afterAll(async () => {
  console.log(`API fuzz: ${requests} requests over ${routes.length} routes`);
  await hub.stop();
});

/** Values a schema accepts (within reason: strings and arrays are kept short). */
function valid(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return hostileValue;
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return fc.oneof(...union.map((s) => valid(s, depth + 1)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = schema.properties ?? {};
      const shape = Object.fromEntries(
        Object.entries(properties).map(([key, s]) => [key, valid(s, depth + 1)]),
      );
      return fc.record(shape, { requiredKeys: (schema.required ?? []).filter((key) => key in properties) });
    }
    case 'array':
      return fc.array(valid(schema.items, depth + 1), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)),
      });
    case 'integer':
      return fc.integer({
        min: Math.max(schema.minimum ?? -1_000_000, Number.MIN_SAFE_INTEGER),
        max: Math.min(schema.maximum ?? 1_000_000, Number.MAX_SAFE_INTEGER),
      });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'string': {
      if (schema.format === 'date-time')
        return fc
          .date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) })
          .map((d) => d.toISOString());
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 24, 24) });
    }
    default:
      return hostileValue;
  }
}

/** A value for a schema, usually broken somewhere. */
function hostile(schema: Schema | undefined): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 2, arbitrary: valid(schema) },
    {
      weight: 4,
      arbitrary: valid(schema).chain((value) =>
        value && typeof value === 'object' && !Array.isArray(value)
          ? deepMutated(value as Record<string, unknown>)
          : hostileValue,
      ),
    },
    { weight: 2, arbitrary: hostileValue },
  );
}

/** Put in the URL as they are: malformed percent-encoding and encoded traversal. */
const RAW_PATH_VALUES = ['%', '%zz', '%E0%A4%A', '%00', '..%2f..%2fadmin-token', '%F0%9F'];

/** Path and query values: ids that exist, ids that do not, and strings no id looks like. */
const pathValue = fc.oneof(
  fc.constantFrom(pending.id, phone.phoneId, 'pi_doesnotexist000', 'dev_x', '0', '-1', '1.5', 'null', '..'),
  fc.constantFrom(...RAW_PATH_VALUES),
  fc.string({ maxLength: 30 }),
  fc.constantFrom(...edgeStrings.filter((s) => s.length < 200)),
);

function queryValue(schema: Schema): fc.Arbitrary<string> {
  return fc.oneof(
    valid(schema).map((value) => String(value)),
    fc.constantFrom(
      '',
      '-1',
      '0',
      '1.5',
      '1e400',
      '99999999999999999999',
      'true',
      '[]',
      '{}',
      '%',
      '\u0000',
      '𠮷',
    ),
    fc.string({ maxLength: 20 }),
  );
}

/** Tokens: the admin, a paired phone, nobody, and a forged one. */
const tokens = fc.constantFrom<string | null>(
  hub.adminToken,
  hub.adminToken,
  phone.token,
  null,
  'garbage',
  `${hub.adminToken}x`,
);

const contentTypes = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-16',
);

function requestFor(route: Route) {
  const params = route.operation.parameters ?? [];
  const bodySchema = route.operation.requestBody?.content['application/json']?.schema;
  const pathParams = params.filter((p) => p.in === 'path');
  const query = params.filter((p) => p.in === 'query');
  return fc.record({
    token: tokens,
    path: fc.tuple(...pathParams.map(() => pathValue)),
    query: fc.tuple(...query.map((p) => fc.option(queryValue(p.schema), { nil: undefined }))),
    extraQuery: fc.option(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), {
      nil: undefined,
    }),
    idempotencyKey: fc.option(
      fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom('x'.repeat(300), '键')),
      {
        nil: undefined,
      },
    ),
    body: fc.oneof(
      { weight: 8, arbitrary: hostile(bodySchema) },
      { weight: 1, arbitrary: fc.constantFrom('{', 'not json', '{"amount": 1,}', '[', '"', 'null', '1e999') },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    contentType: contentTypes,
  });
}

function urlOf(
  route: Route,
  path: string[],
  query: Array<string | undefined>,
  extra?: [string, string],
): string {
  const params = route.operation.parameters ?? [];
  let url = route.path;
  params
    .filter((p) => p.in === 'path')
    .forEach((p, i) => {
      const value = path[i] ?? '';
      url = url.replace(
        `{${p.name}}`,
        RAW_PATH_VALUES.includes(value)
          ? value
          : encodeURIComponent(Buffer.from(value, 'utf8').toString('utf8')),
      );
    });
  const search = new URLSearchParams();
  params
    .filter((p) => p.in === 'query')
    .forEach((p, i) => {
      const value = query[i];
      if (value !== undefined) search.append(p.name, value);
    });
  if (extra) search.append(extra[0], extra[1]);
  const text = search.toString();
  return text ? `${url}?${text}` : url;
}

/** The event stream would never end; it is asked only without a valid token (401) here. */
const streaming = (route: Route) => route.operation.summary?.includes('text/event-stream') ?? false;

interface HostileRequest {
  token: string | null;
  path: string[];
  query: Array<string | undefined>;
  extraQuery?: [string, string];
  idempotencyKey?: string;
  body: unknown;
  contentType: string;
}

async function send(route: Route, request: HostileRequest) {
  const r = request;
  const token =
    streaming(route) && (r.token === hub.adminToken || r.token === phone.token) ? 'garbage' : r.token;
  const body =
    typeof r.body === 'string' ? r.body : r.body === undefined ? undefined : JSON.stringify(r.body);
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = r.contentType;
  if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey;
  let response: Awaited<ReturnType<typeof hub.api>>;
  try {
    response = await hub.api({
      method: route.method as 'GET',
      url: urlOf(route, r.path, r.query, r.extraQuery),
      headers,
      token,
      ...(body !== undefined && route.method !== 'GET' ? { payload: body } : {}),
    });
  } catch (err) {
    // Node's HTTP layer refuses some header values before any route runs (invalid characters).
    if (err instanceof TypeError && /header/i.test(err.message)) return;
    throw err;
  }
  requests++;
  const where = `${route.method} ${route.path}`;
  expect(response.statusCode, `${where} answered ${response.statusCode}: ${response.body}`).toBeLessThan(500);
  if (response.statusCode >= 400) {
    const error = (response.json() as { error?: { code?: unknown; message?: unknown } }).error;
    expect(typeof error?.code, `${where}: ${response.body}`).toBe('string');
    expect(typeof error?.message, `${where}: ${response.body}`).toBe('string');
  }
}

describe('fuzzing every API route', () => {
  it('finds the routes in the OpenAPI document', () => {
    expect(routes.length).toBeGreaterThanOrEqual(60);
  });

  it.each(routes.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s answers hostile requests with a clear 4xx or a success, never a 5xx',
    async (_name, route) => {
      await fc.assert(
        fc.asyncProperty(requestFor(route), (request) => send(route, request as HostileRequest)),
        { numRuns: RUNS },
      );
      // And a body of 1 MB: the limit is 1 MB, so this one is just over it.
      if (route.method !== 'GET') {
        const response = await hub.api({
          method: route.method as 'POST',
          url: urlOf(route, ['x', 'y'], []),
          payload: megabyteJson(),
          headers: { 'content-type': 'application/json' },
        });
        requests++;
        expect(response.statusCode).toBeLessThan(500);
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
      }
    },
  );

  it('moved no money, and the hub is still well', async () => {
    const after = checkDatabase(`${hub.dataDir}/homepay.db`);
    expect(after.violations).toEqual([]);
    expect(after.stats.walletBalance).toBe(before.walletBalance);
    expect(after.stats.transactions).toBe(before.transactions);
    expect(after.stats.byStatus.processing ?? 0).toBe(0);
    expect(after.stats.byStatus.succeeded).toBe(before.byStatus.succeeded);
    expect((await hub.api({ method: 'GET', url: '/api/health', token: null })).statusCode).toBe(200);
    expect(hub.logs.filter((line) => line.msg === 'request failed')).toEqual([]);
  });
});
