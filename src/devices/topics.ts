/**
 * Topic patterns of device profiles: fill in a device's identity, match a published topic, and decide
 * whether an MQTT subscription filter stays inside what a pattern allows. Pure functions, no I/O.
 *
 * Pattern syntax, one `/`-separated level at a time (devices/README.md has the newcomer's version):
 * - `text`          exactly that level
 * - `{identity}`    the device's identity, always a whole level
 * - `{name}`        any one non-empty level, captured as `name`
 * - `text{name}`    one level with fixed text around one captured part, e.g. `switch:{n}` (text may
 *                   also follow: `{n}.json`); it matches `switch:0`, never `input:0`
 * - `#`             last level only: any number of further levels, none included (as in MQTT),
 *                   captured as `#`
 * `+` is not pattern syntax: write `{name}`, which says what the level is.
 *
 * Security rules the functions keep, because the broker ACL is built on them:
 * - An identity is one level: empty, or containing `/`, `+`, `#` or NUL, or starting with `$`, matches
 *   nothing (and `fillPattern` throws), so a device can never widen its own patterns.
 * - The identity is substituted after parsing, so an identity that looks like `{name}` stays literal.
 * - A captured level never matches the `+` or `#` of a filter literally (see `isFilterWithin`), and a
 *   topic starting with `$` (`$SYS/...`) never matches a captured or `#` first level, as in MQTT.
 */

/** The parameter `#` captures the levels a trailing `#` matched, joined with `/` (`''` for none). */
export const REST_PARAM = '#';

type PatternLevel =
  | { kind: 'text'; text: string }
  | { kind: 'identity' }
  /** A whole-level capture has empty `prefix` and `suffix`. */
  | { kind: 'capture'; name: string; prefix: string; suffix: string }
  | { kind: 'rest' };

/** A level after the identity is filled in: what can stand at that position of a topic. */
type ResolvedLevel = Exclude<PatternLevel, { kind: 'identity' }>;

const PLACEHOLDER_NAME = /^[A-Za-z][A-Za-z0-9]*$/;
const PLACEHOLDER = /\{([^{}]*)\}/g;

/** What is wrong with a pattern, one sentence each; empty when it is well formed. */
export function patternProblems(pattern: string): string[] {
  const problems: string[] = [];
  if (pattern.length === 0) return ['the pattern is empty'];
  const levels = pattern.split('/');
  const names = new Set<string>();
  levels.forEach((level, index) => {
    const where = `level ${index + 1} "${level}"`;
    if (level === '') problems.push(`${where} is empty (no leading, trailing or double "/")`);
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1)) {
      problems.push(`${where}: "#" may only be the whole last level`);
    }
    if (level.includes('+')) problems.push(`${where}: "+" is not pattern syntax, write "{name}"`);
    if (level.includes('\u0000')) problems.push(`${where} contains NUL`);
    if (index === 0 && level.startsWith('$')) problems.push(`${where}: "$" topics are the broker's own`);
    const placeholders = [...level.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '');
    const outside = level.replace(PLACEHOLDER, '');
    if (outside.includes('{') || outside.includes('}')) {
      problems.push(`${where} has an unbalanced "{" or "}"`);
    }
    if (placeholders.length > 1) problems.push(`${where} has more than one placeholder`);
    for (const name of placeholders) {
      if (!PLACEHOLDER_NAME.test(name)) problems.push(`${where}: "{${name}}" is not a placeholder name`);
      else if (names.has(name)) problems.push(`${where}: "{${name}}" appears twice`);
      names.add(name);
      if (name === 'identity' && level !== '{identity}') {
        problems.push(`${where}: {identity} must be a whole level`);
      }
    }
  });
  return problems;
}

const parsed = new Map<string, PatternLevel[]>();

/** Patterns come from profile data (a few dozen), so the cache stays small; the cap is a safety net. */
function parse(pattern: string): PatternLevel[] {
  const cached = parsed.get(pattern);
  if (cached) return cached;
  const problems = patternProblems(pattern);
  if (problems.length > 0) throw new Error(`Invalid topic pattern "${pattern}": ${problems.join('; ')}`);
  const levels = pattern.split('/').map(parseLevel);
  if (parsed.size > 10_000) parsed.clear();
  parsed.set(pattern, levels);
  return levels;
}

function parseLevel(level: string): PatternLevel {
  if (level === '#') return { kind: 'rest' };
  if (level === '{identity}') return { kind: 'identity' };
  const open = level.indexOf('{');
  if (open === -1) return { kind: 'text', text: level };
  const close = level.indexOf('}', open);
  return {
    kind: 'capture',
    name: level.slice(open + 1, close),
    prefix: level.slice(0, open),
    suffix: level.slice(close + 1),
  };
}

/** Why a string cannot be an identity (a single, ordinary topic level), or null when it can. */
export function identityProblem(identity: string): string | null {
  if (identity.length === 0) return 'an identity must not be empty';
  if (identity.length > 256) return 'an identity must be at most 256 characters';
  if (/[/+#]/.test(identity) || identity.includes('\u0000')) {
    return 'an identity must not contain "/", "+", "#" or NUL';
  }
  if (identity.startsWith('$')) return 'an identity must not start with "$"';
  return null;
}

function resolve(pattern: string, identity: string): ResolvedLevel[] | null {
  if (identityProblem(identity) !== null) return null;
  return parse(pattern).map((level) =>
    level.kind === 'identity' ? { kind: 'text', text: identity } : level,
  );
}

/**
 * The pattern with `{identity}` (and any other placeholder given in `values`) filled in; placeholders
 * without a value stay as they are. Throws for an identity or value that is not a single topic level.
 */
export function fillPattern(pattern: string, identity: string, values: Record<string, string> = {}): string {
  const problem = identityProblem(identity);
  if (problem) throw new Error(`Cannot fill "${pattern}" with identity "${identity}": ${problem}`);
  return parse(pattern)
    .map((level) => {
      if (level.kind === 'identity') return identity;
      if (level.kind === 'text') return level.text;
      if (level.kind === 'rest') return '#';
      const value = Object.hasOwn(values, level.name) ? values[level.name] : undefined;
      if (value === undefined) return `${level.prefix}{${level.name}}${level.suffix}`;
      const valueProblem = identityProblem(value);
      if (valueProblem) {
        throw new Error(
          `Cannot fill {${level.name}} with "${value}": ${valueProblem.replace('an identity', 'a value')}`,
        );
      }
      return `${level.prefix}${value}${level.suffix}`;
    })
    .join('/');
}

/**
 * The MQTT subscription filter that receives every topic the pattern can match: captures become `+`.
 * For the hub's own subscriptions (e.g. to an external broker); never for authorizing a device.
 */
export function patternToFilter(pattern: string, identity: string): string {
  const levels = resolve(pattern, identity);
  if (!levels) throw new Error(`Invalid identity "${identity}": ${identityProblem(identity)}`);
  return levels
    .map((level) => (level.kind === 'text' ? level.text : level.kind === 'rest' ? '#' : '+'))
    .join('/');
}

/** A published topic name: not empty, no wildcards, no NUL. */
function isTopicName(topic: string): boolean {
  return topic.length > 0 && !/[+#]/.test(topic) && !topic.includes('\u0000');
}

/** What one captured level holds when `text` stands in it, or null when it does not fit. */
function captureValue(level: { prefix: string; suffix: string }, text: string): string | null {
  if (text.length <= level.prefix.length + level.suffix.length) return null;
  if (!text.startsWith(level.prefix) || !text.endsWith(level.suffix)) return null;
  return text.slice(level.prefix.length, text.length - level.suffix.length);
}

/**
 * The parameters a published topic fills in the pattern (always with `identity`; `#` for the levels a
 * trailing `#` matched), or null when the topic does not match, is not a valid topic name, or the
 * identity is not a valid identity.
 */
export function matchTopic(pattern: string, identity: string, topic: string): Record<string, string> | null {
  const levels = resolve(pattern, identity);
  if (!levels || !isTopicName(topic)) return null;
  const parts = topic.split('/');
  const params: Record<string, string> = { identity };
  for (let index = 0; index < levels.length; index++) {
    const level = levels[index] as ResolvedLevel;
    const part = parts[index];
    // MQTT: wildcards in the first level never match `$` topics; only a literal `$...` level could.
    if (index === 0 && part?.startsWith('$') && level.kind !== 'text') return null;
    if (level.kind === 'rest') {
      params[REST_PARAM] = parts.slice(index).join('/');
      return params;
    }
    if (part === undefined) return null;
    if (level.kind === 'text') {
      if (part !== level.text) return null;
      continue;
    }
    const value = captureValue(level, part);
    if (value === null) return null;
    params[level.name] = value;
  }
  return parts.length === levels.length ? params : null;
}

/** A subscription filter as MQTT defines it: `+` and `#` only as whole levels, `#` only last. */
function filterLevels(filter: string): string[] | null {
  if (filter.length === 0 || filter.includes('\u0000')) return null;
  const levels = filter.split('/');
  const valid = levels.every((level, index) => {
    if (level === '#') return index === levels.length - 1;
    if (level === '+') return true;
    return !level.includes('#') && !level.includes('+');
  });
  return valid ? levels : null;
}

/**
 * Whether every topic the subscription `filter` can receive is matched by `pattern` filled with
 * `identity`: the test for letting a device subscribe. A filter `+` level is covered only by a
 * whole-level capture or `#`, a filter `#` only by `#`; `switch:{n}` does not cover `+` (which also
 * receives `input:0`). Invalid filters and identities are never within.
 */
export function isFilterWithin(filter: string, pattern: string, identity: string): boolean {
  const levels = resolve(pattern, identity);
  const parts = filterLevels(filter);
  if (!levels || !parts) return false;
  for (let index = 0; index < levels.length; index++) {
    const level = levels[index] as ResolvedLevel;
    const part = parts[index];
    if (index === 0 && part?.startsWith('$') && level.kind !== 'text') return false;
    // `#` in the pattern also covers the filter ending here (`a/#` matches `a` in MQTT).
    if (level.kind === 'rest') return true;
    if (part === undefined || part === '#') return false;
    if (part === '+') {
      if (level.kind === 'capture' && level.prefix === '' && level.suffix === '') continue;
      return false;
    }
    if (level.kind === 'text' ? part !== level.text : captureValue(level, part) === null) return false;
  }
  return parts.length === levels.length;
}

/** Whether two texts can both be the start (or both the end) of one string. */
function compatible(a: string, b: string, at: 'start' | 'end'): boolean {
  if (at === 'start') return a.startsWith(b) || b.startsWith(a);
  return a.endsWith(b) || b.endsWith(a);
}

function levelsMayMeet(a: ResolvedLevel, b: ResolvedLevel): boolean {
  if (a.kind === 'rest' || b.kind === 'rest') return true;
  if (a.kind === 'text' && b.kind === 'text') return a.text === b.text;
  if (a.kind === 'text' && b.kind === 'capture') return captureValue(b, a.text) !== null;
  if (a.kind === 'capture' && b.kind === 'text') return captureValue(a, b.text) !== null;
  // Two captures: errs towards "may meet", which is the safe answer for a conflict check.
  const [x, y] = [
    a as Extract<ResolvedLevel, { kind: 'capture' }>,
    b as Extract<ResolvedLevel, { kind: 'capture' }>,
  ];
  return compatible(x.prefix, y.prefix, 'start') && compatible(x.suffix, y.suffix, 'end');
}

/**
 * Whether some topic matches both patterns (each filled with its own identity). Used to prove two
 * devices can never share a topic; it may answer true for two captures that cannot really meet.
 */
export function patternsOverlap(
  patternA: string,
  identityA: string,
  patternB: string,
  identityB: string,
): boolean {
  const a = resolve(patternA, identityA);
  const b = resolve(patternB, identityB);
  if (!a || !b) return false;
  const length = Math.max(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const levelA = a[index];
    const levelB = b[index];
    if (levelA?.kind === 'rest' || levelB?.kind === 'rest') {
      const other = levelA?.kind === 'rest' ? levelB : levelA;
      // `#` first cannot meet a `$` level; anything else after a `#` meets it.
      return !(index === 0 && other?.kind === 'text' && other.text.startsWith('$'));
    }
    if (!levelA || !levelB || !levelsMayMeet(levelA, levelB)) return false;
  }
  return true;
}

/**
 * How specific a level is: fixed text, then fixed text around a capture, then a capture, then the
 * pattern having ended (it can only meet a `#` there, which matches no level), then `#`.
 */
function rank(level: PatternLevel | undefined): number {
  if (level === undefined) return 1;
  if (level.kind === 'text' || level.kind === 'identity') return 4;
  if (level.kind === 'capture') return level.prefix === '' && level.suffix === '' ? 2 : 3;
  return 0;
}

/**
 * Orders patterns most specific first, comparing level by level from the left, so that
 * `{identity}/bridge/state` wins over `{identity}/{child}` and `{identity}/bridge/#`.
 */
export function compareSpecificity(a: string, b: string): number {
  const levelsA = parse(a);
  const levelsB = parse(b);
  for (let index = 0; index < Math.max(levelsA.length, levelsB.length); index++) {
    const difference = rank(levelsB[index]) - rank(levelsA[index]);
    if (difference !== 0) return difference;
  }
  return 0;
}

/**
 * The pattern's shape with capture names erased (`{identity}/{child}` -> `{identity}/{}`): two
 * declarations of one direction with the same shape would match the same topics ambiguously.
 */
export function patternShape(pattern: string): string {
  return parse(pattern)
    .map((level) => {
      if (level.kind === 'text') return level.text;
      if (level.kind === 'identity') return '{identity}';
      if (level.kind === 'rest') return '#';
      return `${level.prefix}{}${level.suffix}`;
    })
    .join('/');
}

/** The level index of `{identity}` in a pattern, or -1 when it has none. */
export function identityLevel(pattern: string): number {
  return parse(pattern).findIndex((level) => level.kind === 'identity');
}

/** The names a pattern captures (not `identity`). */
export function captureNames(pattern: string): string[] {
  return parse(pattern).flatMap((level) => (level.kind === 'capture' ? [level.name] : []));
}

/**
 * Whether every topic the subscription filter `inner` receives is also received by `outer` (both MQTT
 * filters), so subscribing to both would only deliver duplicates.
 */
export function filterCovers(outer: string, inner: string): boolean {
  const levels = filterLevels(outer);
  if (!levels) return false;
  // `outer` as a pattern: each `+` a capture of its own.
  const pattern = levels.map((level, index) => (level === '+' ? `{level${index}}` : level)).join('/');
  return patternProblems(pattern).length === 0 && isFilterWithin(inner, pattern, 'unused');
}
