/**
 * Device profiles: loading the data files in `devices/` (YAML, one per device kind), proving each one
 * keeps its devices to their own topics, and answering the broker's and the router's questions
 * ("may this device publish here, and what is it?", "may it subscribe to this?").
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { type Static, Type } from 'typebox';
import { parseDocument } from 'yaml';
import { converterNamed, converters as defaultConverters } from './converters/index.js';
import { MAX_PAYLOAD_BYTES } from './converters/payload.js';
import {
  captureNames,
  compareSpecificity,
  filterCovers,
  identityLevel,
  identityProblem,
  isFilterWithin,
  matchTopic,
  patternProblems,
  patternShape,
  patternsOverlap,
  patternToFilter,
} from './topics.js';
import type { Converter, DeviceMessage, DeviceProfile, TopicDeclaration } from './types.js';

// ---------------------------------------------------------------------------------------------
// The schema of a profile file. `DeviceProfile` in types.ts is what the rest of the hub uses; the
// assignment under the schema makes the compiler prove every valid file is a `DeviceProfile`.

const Name = Type.String({
  pattern: '^[A-Za-z][A-Za-z0-9]*$',
  description: 'a placeholder name such as child',
});
const Field = Type.String({
  pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
  description: 'a JSON field name such as siteId',
});

const TopicSchema = Type.Object(
  {
    pattern: Type.String({ minLength: 1 }),
    direction: Type.Enum(['publish', 'subscribe']),
    converter: Type.Optional(Type.String({ minLength: 1 })),
    child: Type.Optional(
      Type.Union(
        [
          Type.Object({ level: Name }, { additionalProperties: false }),
          Type.Object({ payloadField: Field }, { additionalProperties: false }),
        ],
        { description: '{level: <placeholder>} or {payloadField: <field>}' },
      ),
    ),
    confinedBy: Type.Optional(
      Type.Union(
        [
          Type.Object({ payloadField: Field }, { additionalProperties: false }),
          Type.Object({ payloadSession: Field }, { additionalProperties: false }),
          Type.Object({ hubEvents: Type.Literal(true) }, { additionalProperties: false }),
        ],
        { description: '{payloadField: <field>}, {payloadSession: <field>} or {hubEvents: true}' },
      ),
    ),
  },
  { additionalProperties: false },
);

const CapabilitySchema = Type.Union(
  [
    Type.Object({ name: Type.Literal('energy'), unit: Type.Literal('Wh') }, { additionalProperties: false }),
    Type.Object({ name: Type.Literal('power'), unit: Type.Literal('W') }, { additionalProperties: false }),
    Type.Object({ name: Type.Enum(['voice', 'availability']) }, { additionalProperties: false }),
  ],
  { description: '{name: energy, unit: Wh}, {name: power, unit: W}, {name: voice} or {name: availability}' },
);

export const ProfileSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' }),
    name: Type.String({ minLength: 1 }),
    kind: Type.Enum(['single', 'bridge']),
    identity: Type.Object(
      {
        source: Type.Enum(['deviceId', 'given']),
        description: Type.String({ minLength: 1 }),
        pattern: Type.String({ minLength: 1 }),
        default: Type.Optional(Type.String({ minLength: 1 })),
        examples: Type.Array(Type.String({ minLength: 1 }), { minItems: 2, uniqueItems: true }),
      },
      { additionalProperties: false },
    ),
    topics: Type.Array(TopicSchema, { minItems: 1 }),
    capabilities: Type.Array(CapabilitySchema),
  },
  { additionalProperties: false },
);

type ProfileData = Static<typeof ProfileSchema>;
const asDeviceProfile = (data: ProfileData): DeviceProfile => data;

const validateProfile = new Ajv({ allErrors: true, verbose: true }).compile(ProfileSchema);

// ---------------------------------------------------------------------------------------------
// Loading

/** Every problem of every profile file, so one run shows all of them. */
export class ProfileLoadError extends Error {
  override name = 'ProfileLoadError';
  constructor(readonly problems: string[]) {
    super(`Device profiles are invalid:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/** `<repo>/devices`: the nearest folder above this file with a package.json, from `src/` or `dist/src/`. */
export function defaultProfilesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error('Cannot find the repository root (no package.json above src/devices)');
    }
    dir = parent;
  }
  return join(dir, 'devices');
}

/**
 * Reads and checks every `*.yaml` profile in `dir`, keyed by profile id. Throws one
 * `ProfileLoadError` listing every problem (file, key path, what is wrong) when any file is invalid.
 */
export function loadProfiles(
  dir = defaultProfilesDir(),
  registry: Readonly<Record<string, Converter>> = defaultConverters,
): Map<string, DeviceProfile> {
  const files = readdirSync(dir)
    .filter((file) => ['.yaml', '.yml'].includes(extname(file)))
    .sort();
  const profiles = new Map<string, DeviceProfile>();
  const problems: string[] = [];
  if (files.length === 0) problems.push(`${dir}: no profile files (*.yaml)`);
  for (const file of files) {
    const found = readProfile(join(dir, file), registry);
    problems.push(...found.problems.map((problem) => `${file}: ${problem}`));
    if (found.profile) profiles.set(found.profile.id, found.profile);
  }
  if (problems.length > 0) throw new ProfileLoadError(problems);
  return profiles;
}

function readProfile(
  path: string,
  registry: Readonly<Record<string, Converter>>,
): { profile?: DeviceProfile; problems: string[] } {
  const document = parseDocument(readFileSync(path, 'utf8'));
  // The first line of a YAML error says what and where (line, column); the rest is an excerpt.
  if (document.errors.length > 0) {
    return { problems: document.errors.map((error) => error.message.split('\n')[0] ?? error.message) };
  }
  const data: unknown = document.toJS();
  if (!validateProfile(data)) {
    return { problems: schemaProblems(validateProfile.errors ?? []) };
  }
  const profile = asDeviceProfile(data);
  const problems = profileProblems(profile, registry);
  const fileId = basename(path, extname(path));
  if (profile.id !== fileId) problems.unshift(`id: "${profile.id}" must equal the file name "${fileId}"`);
  return problems.length > 0 ? { problems } : { profile, problems: [] };
}

/** `/topics/2/converter` -> `topics[2].converter`. */
function keyPath(pointer: string): string {
  if (pointer === '') return '(top level)';
  return pointer
    .slice(1)
    .split('/')
    .map((key) => key.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, key) => (/^\d+$/.test(key) ? `${path}[${key}]` : path ? `${path}.${key}` : key), '');
}

/** Ajv's errors as sentences; the branches of a failed union are folded into the union's own line. */
function schemaProblems(errors: ErrorObject[]): string[] {
  const unions = errors.filter((error) => error.keyword === 'anyOf').map((error) => `${error.schemaPath}/`);
  return errors
    .filter((error) => !unions.some((union) => error.schemaPath.startsWith(union)))
    .map((error) => {
      const at = keyPath(error.instancePath);
      const params = error.params as Record<string, unknown>;
      switch (error.keyword) {
        case 'required':
          return `${at === '(top level)' ? '' : `${at}.`}${String(params.missingProperty)} is missing`;
        case 'additionalProperties':
          return `${at}: unknown key "${String(params.additionalProperty)}"`;
        case 'enum':
          return `${at} must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
        case 'anyOf': {
          const description = (error.parentSchema as { description?: string } | undefined)?.description;
          return `${at} must be ${description ?? 'one of the allowed shapes'}`;
        }
        default:
          return `${at} ${error.message ?? 'is invalid'}`;
      }
    });
}

/** What the file's words cannot say in a schema: patterns, confinement, converters, children. */
function profileProblems(profile: DeviceProfile, registry: Readonly<Record<string, Converter>>): string[] {
  const problems = identityPatternProblems(profile);
  const identityLevels = new Set<number>();
  const shapes = new Map<string, number>();

  profile.topics.forEach((topic, index) => {
    const at = `topics[${index}] "${topic.pattern}"`;
    const syntax = patternProblems(topic.pattern);
    if (syntax.length > 0) {
      problems.push(...syntax.map((problem) => `${at}: ${problem}`));
      return;
    }
    const level = identityLevel(topic.pattern);
    if (level >= 0) identityLevels.add(level);
    else if (!topic.confinedBy) {
      problems.push(
        `${at}: not confined to one device; put {identity} in it, or declare confinedBy for a shared topic`,
      );
    }
    const shape = `${topic.direction} ${patternShape(topic.pattern)}`;
    if (shapes.has(shape)) problems.push(`${at}: matches the same topics as topics[${shapes.get(shape)}]`);
    shapes.set(shape, index);

    if (topic.direction === 'publish') {
      if (topic.converter === undefined) {
        problems.push(`${at}: a publish topic needs a converter (ignore if unused)`);
      } else if (!Object.hasOwn(registry, topic.converter)) {
        problems.push(
          `${at}: converter "${topic.converter}" does not exist in src/devices/converters/index.ts`,
        );
      }
      if (topic.confinedBy && 'payloadSession' in topic.confinedBy) {
        problems.push(`${at}: confinedBy.payloadSession is for subscribe topics only`);
      }
      if (topic.confinedBy && 'hubEvents' in topic.confinedBy) {
        problems.push(`${at}: confinedBy.hubEvents is for subscribe topics only`);
      }
    } else if (topic.converter !== undefined) {
      problems.push(`${at}: a subscribe topic (hub -> device) has no converter`);
    }
    if (topic.confinedBy && 'hubEvents' in topic.confinedBy) {
      const inside = HUB_TOPIC_PATTERNS.some((hub) =>
        filterCovers(patternToFilter(hub, 'unused'), patternToFilter(topic.pattern, 'unused')),
      );
      if (!inside) problems.push(`${at}: confinedBy.hubEvents topics must lie within the hub's own topics`);
    }
    problems.push(...childProblems(profile, topic, at));
  });

  if (identityLevels.size > 1) {
    // Same level everywhere is what makes two devices of one kind unable to share a topic.
    problems.push(
      `{identity} must stand at the same level in every pattern, found levels ${[...identityLevels].map((l) => l + 1).join(', ')}`,
    );
  }
  if (profile.kind === 'bridge' && !profile.topics.some((topic) => topic.child)) {
    problems.push('a bridge must say where its children come from (child: on at least one topic)');
  }
  const names = profile.capabilities.map((capability) => capability.name);
  if (new Set(names).size !== names.length) problems.push('capabilities: a capability is listed twice');
  return problems;
}

function childProblems(profile: DeviceProfile, topic: TopicDeclaration, at: string): string[] {
  const problems: string[] = [];
  if (topic.child && profile.kind !== 'bridge') problems.push(`${at}: only a bridge has children`);
  if (topic.child && 'level' in topic.child && !captureNames(topic.pattern).includes(topic.child.level)) {
    problems.push(`${at}: child level {${topic.child.level}} is not a placeholder of the pattern`);
  }
  const field =
    topic.confinedBy && 'payloadField' in topic.confinedBy ? topic.confinedBy.payloadField : undefined;
  if (profile.kind === 'bridge' && field !== undefined) {
    // For a bridge, "the payload names the sender" means "names one of its children".
    if (!topic.child || !('payloadField' in topic.child) || topic.child.payloadField !== field) {
      problems.push(
        `${at}: a bridge's confinedBy.payloadField must also be its child: {payloadField: ${field}}`,
      );
    }
  }
  return problems;
}

/** Strings no identity may be, whatever the profile's regular expression says. */
const NOT_IDENTITIES = ['', 'a/b', '+', '#', 'a+b', 'a#b', '$SYS', 'a\u0000b'];

function identityPatternProblems(profile: DeviceProfile): string[] {
  const { identity } = profile;
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${identity.pattern})$`);
  } catch (error) {
    return [`identity.pattern is not a regular expression: ${(error as Error).message}`];
  }
  const problems: string[] = [];
  const accepted = NOT_IDENTITIES.filter((probe) => regex.test(probe)).map((probe) => JSON.stringify(probe));
  if (accepted.length > 0) {
    problems.push(
      `identity.pattern accepts ${accepted.join(', ')}: an identity is one topic level (no /, +, #, $ first)`,
    );
  }
  const samples = [
    ...(identity.examples ?? []),
    ...(identity.default === undefined ? [] : [identity.default]),
  ];
  for (const sample of samples) {
    if (!regex.test(sample)) problems.push(`identity: "${sample}" does not match identity.pattern`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Questions the broker and the router ask

/**
 * The hub's own topics (SPEC "Hub events over MQTT", and Home Assistant discovery when it is on):
 * no device's topics may reach them, whatever its identity.
 */
export const HUB_TOPIC_PATTERNS = [
  'homepay/status',
  'homepay/intent/{intentId}',
  'homepay/alert/{ruleId}',
  'homepay/energy/{deviceId}/state',
  'homeassistant/#',
];

/**
 * Why `identity` cannot be the identity of a device of this profile, or null when it can: it must be
 * one topic level, match the profile's pattern, and not carry the device's topics onto the hub's own
 * topics or onto a topic shared by design in any of `profiles` (a Zigbee2MQTT base topic `homepay`
 * would publish `homepay/status`; `hermes` would subscribe to every Hermes message; a Shelly Gen1
 * called `announce` would own `shellies/announce`). Overlaps between two registered devices are
 * `topicConflicts`.
 */
export function checkIdentity(
  profile: DeviceProfile,
  identity: string,
  profiles: Iterable<DeviceProfile> = [],
): string | null {
  const problem = identityProblem(identity);
  if (problem) return problem;
  if (!new RegExp(`^(?:${profile.identity.pattern})$`).test(identity)) {
    return `"${identity}" is not a valid identity for ${profile.id}: ${profile.identity.description}`;
  }
  const shared = [...profiles].flatMap((other) =>
    other.topics.filter((topic) => identityLevel(topic.pattern) < 0).map((topic) => topic.pattern),
  );
  const owned = profile.topics.filter((topic) => identityLevel(topic.pattern) >= 0);
  for (const reserved of [...HUB_TOPIC_PATTERNS, ...shared]) {
    const clash = owned.find((topic) => patternsOverlap(topic.pattern, identity, reserved, 'unused'));
    if (clash) {
      return `"${identity}" would make ${clash.pattern} reach ${reserved}, which is not this device's`;
    }
  }
  return null;
}

/** The declarations of one direction, most specific first (so `bridge/state` is not child "bridge"). */
const sortedCache = new WeakMap<DeviceProfile, Record<'publish' | 'subscribe', TopicDeclaration[]>>();

function declarations(profile: DeviceProfile, direction: 'publish' | 'subscribe'): TopicDeclaration[] {
  let sorted = sortedCache.get(profile);
  if (!sorted) {
    const of = (wanted: string) =>
      profile.topics
        .filter((topic) => topic.direction === wanted)
        .sort((a, b) => compareSpecificity(a.pattern, b.pattern));
    sorted = { publish: of('publish'), subscribe: of('subscribe') };
    sortedCache.set(profile, sorted);
  }
  return sorted[direction];
}

export interface PublishRoute {
  declaration: TopicDeclaration;
  /** The captured levels, with `identity` (and `#` for a trailing `#`). */
  params: Record<string, string>;
  /** The bridge child named by a topic level (`{child}`); payload-named children come from `checkPublish`. */
  child?: string;
}

/**
 * The declaration a device's publish on `topic` falls under (the most specific one), with its
 * captured levels; null when the profile does not let this device publish there.
 */
export function findPublishRoute(
  profile: DeviceProfile,
  identity: string,
  topic: string,
): PublishRoute | null {
  for (const declaration of declarations(profile, 'publish')) {
    const params = matchTopic(declaration.pattern, identity, topic);
    if (!params) continue;
    const child =
      declaration.child && 'level' in declaration.child ? params[declaration.child.level] : undefined;
    return child === undefined ? { declaration, params } : { declaration, params, child };
  }
  return null;
}

/** The subscribe declaration that covers a device's subscription `filter`, or null. */
export function findSubscribeRoute(
  profile: DeviceProfile,
  identity: string,
  filter: string,
): TopicDeclaration | null {
  return declarations(profile, 'subscribe').find((d) => isFilterWithin(filter, d.pattern, identity)) ?? null;
}

/** Whether the device may subscribe to `filter`: it stays inside one of its subscribe patterns. */
export function isSubscriptionAllowed(profile: DeviceProfile, identity: string, filter: string): boolean {
  return findSubscribeRoute(profile, identity, filter) !== null;
}

export type PublishCheck =
  | {
      allowed: true;
      route: PublishRoute;
      /** The bridge child the message is about (from a topic level or the payload), if any. */
      child?: string;
    }
  | { allowed: false; reason: string };

/** A string field of a JSON object payload, or a sentence saying why there is none. */
export function payloadField(payload: Buffer, field: string): { value: string } | { problem: string } {
  if (payload.length > MAX_PAYLOAD_BYTES) return { problem: `payload is over ${MAX_PAYLOAD_BYTES} bytes` };
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    return { problem: 'payload is not JSON' };
  }
  const value =
    typeof body === 'object' && body !== null && !Array.isArray(body) ? Reflect.get(body, field) : undefined;
  if (typeof value !== 'string' || value.length === 0) return { problem: `payload has no "${field}" string` };
  return { value };
}

/**
 * The full check of a device's message: its topic is declared, and for a shared topic the payload
 * names this device (`confinedBy.payloadField` equal to its identity) or, for a bridge, a child.
 * Whether that child belongs to this bridge and no other device is the hub's to decide (it owns the
 * device list): `child` says which one to look up or register.
 */
export function checkPublish(
  profile: DeviceProfile,
  identity: string,
  topic: string,
  payload: Buffer,
): PublishCheck {
  const route = findPublishRoute(profile, identity, topic);
  if (!route) return { allowed: false, reason: `${profile.id} "${identity}" may not publish on ${topic}` };
  const { declaration } = route;
  let child = route.child;
  if (declaration.child && 'payloadField' in declaration.child) {
    const field = payloadField(payload, declaration.child.payloadField);
    if ('problem' in field) return { allowed: false, reason: `no child on ${topic}: ${field.problem}` };
    child = field.value;
  }
  if (declaration.confinedBy && 'payloadField' in declaration.confinedBy && profile.kind === 'single') {
    const name = declaration.confinedBy.payloadField;
    const field = payloadField(payload, name);
    if ('problem' in field) return { allowed: false, reason: `${topic} is shared and ${field.problem}` };
    if (field.value !== identity) {
      return {
        allowed: false,
        reason: `payload ${name} "${field.value}" on ${topic} is not this device's "${identity}"`,
      };
    }
  }
  return child === undefined ? { allowed: true, route } : { allowed: true, route, child };
}

/** Runs the route's converter. Throws `ConvertError` for a malformed payload (log it and drop it). */
export function convertMessage(route: PublishRoute, topic: string, payload: Buffer): DeviceMessage[] {
  const name = route.declaration.converter;
  const converter = name === undefined ? undefined : converterNamed(name);
  if (!converter) throw new Error(`No converter "${name}" for ${route.declaration.pattern}`);
  return converter({ topic, params: route.params, payload });
}

export interface DeviceTopics {
  profile: DeviceProfile;
  identity: string;
}

/**
 * Why two devices could meet on a topic (one sentence per pair of patterns), empty when they never
 * can: check it before registering a device. For example a Shelly Gen2 with topic prefix `zigbee2mqtt`
 * would publish into a Zigbee2MQTT bridge's base topic. Two topics that are shared by design
 * (`confinedBy`, no identity) are left out: their payloads keep them apart.
 */
export function topicConflicts(a: DeviceTopics, b: DeviceTopics): string[] {
  const conflicts: string[] = [];
  for (const topicA of a.profile.topics) {
    for (const topicB of b.profile.topics) {
      const shared = identityLevel(topicA.pattern) < 0 && identityLevel(topicB.pattern) < 0;
      if (shared || !patternsOverlap(topicA.pattern, a.identity, topicB.pattern, b.identity)) continue;
      conflicts.push(
        `${a.profile.id} "${a.identity}" ${topicA.pattern} meets ${b.profile.id} "${b.identity}" ${topicB.pattern}`,
      );
    }
  }
  return conflicts;
}

/**
 * The subscription filters that receive every topic a device of these profiles publishes and the hub
 * decodes (converter other than `ignore`), for any identity: for the hub as a client of an external
 * broker. Filters inside another one are left out, so no message arrives twice. Broad by nature
 * (a Zigbee2MQTT `{identity}/{child}` becomes `+/+`): messages no registered device sent are dropped
 * by the router. Per-device filters, when the identities are known: `patternToFilter`.
 */
export function devicePublishFilters(profiles: Iterable<DeviceProfile>): string[] {
  const filters = new Set<string>();
  for (const profile of profiles) {
    for (const topic of profile.topics) {
      if (topic.direction !== 'publish' || topic.converter === 'ignore') continue;
      // A placeholder identity that becomes `+`: the filter is then the same for every device.
      filters.add(patternToFilter(topic.pattern.replaceAll('{identity}', '{anyIdentity}'), 'any'));
    }
  }
  const all = [...filters].sort();
  return all.filter((filter) => !all.some((other) => other !== filter && filterCovers(other, filter)));
}
