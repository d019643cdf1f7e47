/**
 * Invariants over every profile in devices/: each loads, names converters that exist, keeps its
 * devices to their own topics, and decodes the real example payloads of its protocol.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { converterNamed } from '../../src/devices/converters/index.js';
import {
  checkIdentity,
  checkPublish,
  convertMessage,
  defaultProfilesDir,
  findPublishRoute,
  isSubscriptionAllowed,
  loadProfiles,
  topicConflicts,
} from '../../src/devices/profiles.js';
import { captureNames, fillPattern, identityLevel } from '../../src/devices/topics.js';
import type { DeviceMessage, DeviceProfile } from '../../src/devices/types.js';
import { FIXTURES_DIR, fixture, type TopicRow, topicRows } from './fixtures.js';

const profiles = loadProfiles();
const profileList = [...profiles.values()];

function profile(id: string): DeviceProfile {
  const found = profiles.get(id);
  if (!found) throw new Error(`no profile ${id}`);
  return found;
}

/** Two different identities of the profile's kind, from its own examples. */
function twoIdentities(p: DeviceProfile): [string, string] {
  const [a, b] = p.identity.examples ?? [];
  if (!a || !b) throw new Error(`${p.id} needs two identity.examples`);
  return [a, b];
}

/** A concrete topic the pattern matches for that identity: captures filled, `#` one level. */
function sampleTopic(pattern: string, identity: string): string {
  const values = Object.fromEntries(captureNames(pattern).map((name) => [name, '0']));
  return fillPattern(pattern, identity, values).replace(/#$/, 'x');
}

describe('the devices/ folder', () => {
  it('loads every profile file without a problem', () => {
    const files = readdirSync(defaultProfilesDir()).filter((file) => file.endsWith('.yaml'));
    expect([...profiles.keys()].sort()).toEqual(files.map((file) => file.replace(/\.yaml$/, '')).sort());
  });

  it('ships the profiles SPEC.md names first', () => {
    for (const id of [
      'homepay-speaker',
      'rhasspy-satellite',
      'homepay-meter',
      'tasmota-plug',
      'shelly-gen1-plug',
      'shelly-gen2-plug',
      'zigbee2mqtt-plug',
    ]) {
      expect(profiles.has(id), id).toBe(true);
    }
  });
});

describe.each(profileList.map((p) => [p.id, p] as const))('profile %s', (_id, p) => {
  const [mine, theirs] = twoIdentities(p);

  it('names only converters that exist, on device -> hub topics only', () => {
    for (const topic of p.topics) {
      if (topic.direction === 'publish') {
        expect(converterNamed(topic.converter ?? ''), topic.pattern).toBeDefined();
      } else {
        expect(topic.converter, topic.pattern).toBeUndefined();
      }
    }
  });

  it('confines every topic to its identity, or says explicitly that its payload does', () => {
    for (const topic of p.topics) {
      const confined = identityLevel(topic.pattern) >= 0 || topic.confinedBy !== undefined;
      expect(confined, topic.pattern).toBe(true);
    }
  });

  it('accepts its own example identities and default', () => {
    const samples = [...(p.identity.examples ?? []), ...(p.identity.default ? [p.identity.default] : [])];
    for (const identity of samples) expect(checkIdentity(p, identity, profileList), identity).toBeNull();
  });

  it('gives two devices of its kind disjoint topics', () => {
    expect(topicConflicts({ profile: p, identity: mine }, { profile: p, identity: theirs })).toEqual([]);
  });

  it("lets a device neither publish nor subscribe on another device's topics", () => {
    for (const topic of p.topics.filter((t) => identityLevel(t.pattern) >= 0)) {
      const other = sampleTopic(topic.pattern, theirs);
      expect(findPublishRoute(p, mine, other), other).toBeNull();
      expect(isSubscriptionAllowed(p, mine, other), other).toBe(false);
      // ...while its own version of the same topic is allowed in the declared direction.
      const own = sampleTopic(topic.pattern, mine);
      if (topic.direction === 'publish') expect(findPublishRoute(p, mine, own), own).not.toBeNull();
      else expect(isSubscriptionAllowed(p, mine, own), own).toBe(true);
    }
  });

  it('never lets a device subscribe to everything, to $SYS or across devices with wildcards', () => {
    for (const filter of ['#', '+/#', '$SYS/#', '+/+', '+/+/+', '+/+/#', 'hermes/#', 'hermes/intent/#']) {
      expect(isSubscriptionAllowed(p, mine, filter), filter).toBe(false);
    }
  });

  it('declares the capabilities of a device that reports anything, with their units', () => {
    const reports = p.topics.some((topic) => topic.direction === 'publish');
    expect(p.capabilities.length > 0).toBe(reports);
    for (const capability of p.capabilities) {
      if (capability.name === 'energy') expect(capability.unit).toBe('Wh');
      if (capability.name === 'power') expect(capability.unit).toBe('W');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The real example payloads: each row of the research's topics table is mapped to a profile topic.

const rows = [...topicRows('topics.tsv'), ...topicRows('native-topics.tsv')];

/** Which profiles speak each system of the topics table, and as which identity. */
const IDENTITY_FOR: Record<string, Array<{ profile: string; identity: (payload: Buffer) => string }>> = {
  tasmota: [{ profile: 'tasmota-plug', identity: () => 'tasmota_8A1F2C' }],
  'shelly-gen1': [{ profile: 'shelly-gen1-plug', identity: () => 'shellyplug-s-7C87CE' }],
  'shelly-gen2': [{ profile: 'shelly-gen2-plug', identity: () => 'shellyplusplugs-e465b8b3a1c4' }],
  zigbee2mqtt: [{ profile: 'zigbee2mqtt-plug', identity: () => 'zigbee2mqtt' }],
  // A satellite is the site its payload names (endSession names none: the session was in the kitchen).
  hermes: [
    { profile: 'rhasspy-satellite', identity: (payload) => siteIdIn(payload) ?? 'kitchen' },
    { profile: 'rhasspy-base', identity: () => 'base' },
  ],
  'homepay-speaker': [{ profile: 'homepay-speaker', identity: () => 'dev_7Hq2xK' }],
  'homepay-meter': [{ profile: 'homepay-meter', identity: () => 'dev_7Hq2xK' }],
};

function siteIdIn(payload: Buffer): string | undefined {
  const body = JSON.parse(payload.toString('utf8')) as { siteId?: unknown };
  return typeof body.siteId === 'string' ? body.siteId : undefined;
}

/** The row's topic with the research's placeholders filled in as a real device would. */
function concreteTopic(row: TopicRow, identity: string, payload: Buffer): string {
  const intentName = row.file.startsWith('hermes-intent')
    ? (JSON.parse(payload.toString('utf8')) as { intent: { intentName: string } }).intent.intentName
    : '';
  return (
    row.pattern
      .replace(/\{(topic|id|prefix|deviceId)\}/, identity)
      .replace('{friendlyName}', 'fridge_plug')
      .replace('{n}', '0')
      .replace('{intentName}', intentName)
      .replace('{wakewordId}', 'default')
      // The hub sends Gen2 RPC requests with src "<prefix>/homepay" (shelly-gen2-plug.yaml).
      .replace('{src}', `${identity}/homepay`)
  );
}

const SWITCH_0 = { kind: 'reading', channel: 0, energyWh: 48372.114, powerW: 36.4 } as const;
const KITCHEN_SESSION = 'kitchen-default-6f1c2a0e-3b57-4d4e-9a61-2f0d7c9b8e13';

/** What the hub must get out of each device -> hub example. */
const EXPECTED: Record<string, DeviceMessage[]> = {
  'tasmota-sensor.json': [{ kind: 'reading', channel: 0, energyWh: 48372, powerW: 36 }],
  'tasmota-state.json': [],
  'tasmota-lwt.txt': [{ kind: 'availability', online: true }],
  'tasmota-lwt-offline.txt': [{ kind: 'availability', online: false }],
  'tasmota-stat-power.txt': [],
  'tasmota-stat-result.json': [],
  'shelly-gen1-power.txt': [{ kind: 'reading', channel: 0, powerW: 36.52 }],
  'shelly-gen1-energy.txt': [{ kind: 'reading', channel: 0, energyWh: 48.383 }],
  'shelly-gen1-relay.txt': [],
  'shelly-gen1-online.txt': [{ kind: 'availability', online: true }],
  'shelly-gen1-announce.json': [],
  'shelly-gen2-online.txt': [{ kind: 'availability', online: true }],
  'shelly-gen2-notifystatus.json': [{ ...SWITCH_0, ts: '2026-11-27T08:01:02.310Z' }],
  'shelly-gen2-status-switch.json': [SWITCH_0],
  'shelly-gen2-rpc-response.json': [],
  'zigbee2mqtt-plug.json': [{ kind: 'reading', channel: 0, energyWh: 48370, powerW: 36 }],
  'zigbee2mqtt-availability.json': [{ kind: 'availability', online: true }],
  'zigbee2mqtt-bridge-state.json': [{ kind: 'availability', online: true }],
  'zigbee2mqtt-bridge-devices.json': [],
  'hermes-intent.json': [
    {
      kind: 'voice-intent',
      intentName: 'PlaceOrder',
      input: 'order 2 bags of cat food',
      siteId: 'kitchen',
      sessionId: KITCHEN_SESSION,
      slots: [
        { slotName: 'quantity', value: 2, rawValue: 'two' },
        { slotName: 'item', value: 'cat food', rawValue: 'cat food' },
      ],
    },
  ],
  'hermes-intent-zh.json': [
    {
      kind: 'voice-intent',
      intentName: 'PlaceOrder',
      input: '帮我买两袋猫粮',
      siteId: 'livingroom',
      sessionId: 'livingroom-default-0b8e4d1a-72c9-4f03-b5d6-91a3e2c7f4a8',
      slots: [
        { slotName: 'quantity', value: 2, rawValue: '两' },
        { slotName: 'item', value: '猫粮', rawValue: '猫粮' },
      ],
      lang: 'zh',
    },
  ],
  'hermes-nlu-intentNotRecognized.json': [
    {
      kind: 'voice-intent',
      intentName: 'NotRecognized',
      input: 'order the blue thing from last week',
      siteId: 'kitchen',
      sessionId: KITCHEN_SESSION,
      slots: [],
    },
  ],
  'hermes-hotword-detected.json': [],
  'hermes-sessionStarted.json': [],
  'hermes-asr-textCaptured.json': [],
  'hermes-nlu-intentParsed.json': [],
  'hermes-dialogueManager-intentNotRecognized.json': [],
  'hermes-sessionEnded.json': [],
  'hermes-tts-sayFinished.json': [],
  'homepay-speaker-utterance.json': [
    { kind: 'utterance', text: '帮我买两袋猫粮', sessionId: 's-123', lang: 'zh-CN', voiceProfile: 'alice' },
  ],
  'homepay-meter-reading.json': [
    { kind: 'reading', energyWh: 123456.7, powerW: 85.2, ts: '2026-11-27T08:00:00.000Z' },
  ],
};

/**
 * Rows the profiles refuse on purpose, each with the reason (the profile's header says it too).
 * A profile that starts allowing one of them fails here, so the change is made knowingly.
 */
const REFUSED_ON_PURPOSE: Record<string, string> = {
  'shellies/command': 'a broadcast to every Shelly; the hub sends commands to shellies/<id>/command',
};

/** Rows of the hub's own Home Assistant topics: no device profile speaks them. */
const deviceRows = rows.filter((row) => row.system !== 'homeassistant');

describe('the real example payloads', () => {
  it('cover every system of the topics table and every profile', () => {
    expect(Object.keys(IDENTITY_FOR).sort()).toEqual(
      [...new Set(deviceRows.map((row) => row.system))].sort(),
    );
    const covered = new Set(
      Object.values(IDENTITY_FOR).flatMap((speakers) => speakers.map((s) => s.profile)),
    );
    // Every profile whose devices publish has real payloads to decode (a read-only integration has none).
    const publishing = [...profiles.values()].filter((p) => p.topics.some((t) => t.direction === 'publish'));
    expect([...covered].sort()).toEqual(publishing.map((p) => p.id).sort());
  });

  it('are all used by a row of the topics tables', () => {
    const used = new Set(rows.map((row) => row.file));
    const files = readdirSync(FIXTURES_DIR).filter((file) => /\.(json|txt)$/.test(file));
    expect(files.filter((file) => !used.has(file))).toEqual([]);
  });

  const cases = deviceRows.flatMap((row) =>
    (IDENTITY_FOR[row.system] ?? []).map(
      (speaker) => [`${speaker.profile}: ${row.pattern} ${row.file}`, row, speaker] as const,
    ),
  );

  it.each(cases)('%s', (_name, row, speaker) => {
    const p = profile(speaker.profile);
    const payload = fixture(row.file);
    const identity = speaker.identity(payload);
    const topic = concreteTopic(row, identity, payload);

    if (row.direction === 'hub->device') {
      expect(isSubscriptionAllowed(p, identity, topic), topic).toBe(!(topic in REFUSED_ON_PURPOSE));
      return;
    }
    const check = checkPublish(p, identity, topic, payload);
    if (!check.allowed) throw new Error(check.reason);
    expect(convertMessage(check.route, topic, payload)).toEqual(EXPECTED[row.file]);

    // A bridge's messages name their child: a friendly name or a siteId, never the bridge itself.
    if (p.kind === 'bridge') {
      const expectedChild = row.pattern.includes('{friendlyName}') ? 'fridge_plug' : siteIdIn(payload);
      expect(check.child).toBe(expectedChild);
    }
  });
});
