/**
 * Hostile input for the fuzzers: what a broken device, a curious guest or an attacker sends. Wrong
 * types, numbers at and past every edge a money or energy field has, unicode that breaks naive
 * string handling, prototype keys, and very large values.
 */
import fc from 'fast-check';

/** Numbers at the edges: zero, negatives, fractions, unsafe integers, the largest doubles. */
export const edgeNumbers = [
  0,
  -0,
  -1,
  1,
  0.5,
  -0.5,
  0.1 + 0.2,
  1e-300,
  99.999,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  -Number.MAX_SAFE_INTEGER,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  1e21,
  1_000_000_001,
];

/** Strings that break naive handling: empty, whitespace, control characters, astral and combining characters, RTL, injections. */
export const edgeStrings = [
  '',
  ' ',
  '\u0000',
  '\n\r\t',
  '\uFEFF',
  '\u202E\u0634\u0627\u0631\u0639',
  '𠮷𠮷𠮷',
  '👩‍👩‍👧‍👦',
  'e\u0301\u0301\u0301',
  '\uD800',
  '\uDFFF\uD800',
  'NaN',
  'Infinity',
  '-1',
  '1e3',
  '0x10',
  '100',
  '１２３',
  '两袋猫粮',
  "'; DROP TABLE intents; --",
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '%00%2e%2e%2f',
  '__proto__',
  'constructor',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template injection, sent as plain text
  '${process.exit()}',
  'a'.repeat(10_000),
  '猫'.repeat(5000),
];

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(...edgeNumbers, ...edgeStrings, null, true, false, [], {}),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** Any JSON-able value, biased to the edges, nested a little. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor')),
      tie('value'),
      {
        maxKeys: 4,
      },
    ),
  ),
})).value;

/**
 * An object shaped like `base` with some fields replaced, removed or added: close enough to valid
 * to reach deep code, wrong in one or two places.
 */
export function mutated(base: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(base);
  return fc
    .record({
      replace: fc.subarray(keys, { maxLength: Math.min(3, keys.length) }),
      remove: fc.subarray(keys, { maxLength: Math.min(1, keys.length) }),
      values: fc.array(hostileValue, { minLength: 3, maxLength: 3 }),
      extra: fc.option(fc.tuple(fc.string({ maxLength: 12 }), hostileValue), { nil: undefined }),
    })
    .map(({ replace, remove, values, extra }) => {
      const out: Record<string, unknown> = { ...base };
      replace.forEach((key, i) => {
        out[key] = values[i];
      });
      for (const key of remove) delete out[key];
      if (extra) Object.defineProperty(out, extra[0], { value: extra[1], enumerable: true, writable: true });
      return out;
    });
}

/** Like `mutated`, also one or two levels down (Tasmota's `ENERGY`, Shelly's `params.switch:0`). */
export function deepMutated(base: Record<string, unknown>, depth = 2): fc.Arbitrary<Record<string, unknown>> {
  const nested = Object.entries(base).filter(
    ([, value]) => depth > 0 && value !== null && typeof value === 'object' && !Array.isArray(value),
  );
  if (nested.length === 0) return mutated(base);
  return fc.oneof(
    mutated(base),
    ...nested.map(([key, value]) =>
      deepMutated(value as Record<string, unknown>, depth - 1).map((inner) => ({ ...base, [key]: inner })),
    ),
  );
}

/** Bytes: random, JSON of hostile values, invalid UTF-8, and almost-JSON. */
export const hostileBytes: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  hostileValue.map((value) => Buffer.from(JSON.stringify(value) ?? 'null', 'utf8')),
  fc.constantFrom(
    Buffer.from([0xff, 0xfe, 0xfd]),
    Buffer.from([0xc3, 0x28]),
    Buffer.from('{"text": "\\ud800"}'),
    Buffer.from('{'),
    Buffer.from('{"a":1,}'),
    Buffer.from('[]'),
    Buffer.from(''),
    Buffer.from('null'),
    Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`),
    Buffer.alloc(70 * 1024, 0x20),
  ),
);

/** A 1 MB JSON body: one huge string field. */
export function megabyteJson(field = 'text'): string {
  return JSON.stringify({ [field]: 'x'.repeat(1024 * 1024) });
}

/** `HOMEPAY_FUZZ_SCALE=20` runs every fuzzer twenty times longer, to hunt for rare inputs. */
export const FUZZ_SCALE = Number(process.env.HOMEPAY_FUZZ_SCALE ?? 1);
