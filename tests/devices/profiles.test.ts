import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkIdentity,
  checkPublish,
  devicePublishFilters,
  findPublishRoute,
  findSubscribeRoute,
  isSubscriptionAllowed,
  loadProfiles,
  ProfileLoadError,
  topicConflicts,
} from '../../src/devices/profiles.js';
import type { DeviceProfile } from '../../src/devices/types.js';
import { fixture } from './fixtures.js';

const profiles = loadProfiles();
function profile(id: string): DeviceProfile {
  const found = profiles.get(id);
  if (!found) throw new Error(`no profile ${id}`);
  return found;
}

describe('loadProfiles on broken files', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function loadErrors(files: Record<string, string>): string[] {
    dir = mkdtempSync(join(tmpdir(), 'homepay-profiles-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    try {
      loadProfiles(dir);
    } catch (error) {
      if (error instanceof ProfileLoadError) return error.problems;
      throw error;
    }
    throw new Error('loadProfiles accepted broken files');
  }

  const valid = `
id: good
name: Good plug
kind: single
identity: {source: given, description: its topic, pattern: '[a-z0-9_]+', examples: [a, b]}
topics:
  - {pattern: 'tele/{identity}/SENSOR', direction: publish, converter: tasmota-sensor}
capabilities: [{name: power, unit: W}]
`;

  it('lists every problem of every file in one error, each with its file and key path', () => {
    const problems = loadErrors({
      'good.yaml': valid,
      'syntax.yaml': 'id: [unclosed\n',
      'shape.yaml': `
id: not-the-file-name
name: Shape
kind: single
colour: blue
identity: {source: given, description: x, examples: [a, b]}
topics:
  - {pattern: 'a/{identity}', direction: both}
capabilities: [{name: energy, unit: kWh}]
`,
    });
    expect(problems.some((p) => p.startsWith('syntax.yaml: '))).toBe(true);
    expect(problems).toContain('shape.yaml: (top level): unknown key "colour"');
    expect(problems).toContain('shape.yaml: identity.pattern is missing');
    expect(problems).toContain('shape.yaml: topics[0].direction must be one of publish, subscribe');
    expect(problems).toContain(
      'shape.yaml: capabilities[0] must be {name: energy, unit: Wh}, {name: power, unit: W}, {name: voice} or {name: availability}',
    );
    expect(problems.some((p) => p.startsWith('good.yaml'))).toBe(false);
  });

  it('refuses unconfined patterns, unknown converters, loose identity patterns and misplaced children', () => {
    const problems = loadErrors({
      'loose.yaml': `
id: loose
name: Loose
kind: single
identity: {source: given, description: anything, pattern: '.*', examples: [a, b]}
topics:
  - {pattern: 'tele/+/SENSOR', direction: publish, converter: tasmota-sensor}
  - {pattern: 'hermes/intent/{intentName}', direction: publish, converter: hermes-intent}
  - {pattern: 'stat/{identity}/#', direction: publish, converter: no-such-converter}
  - {pattern: '{identity}/x', direction: publish, converter: ignore}
  - {pattern: 'cmnd/{identity}/{child}', direction: subscribe, converter: ignore, child: {level: child}}
  - {pattern: 'stat/{identity}/{a}', direction: publish}
capabilities: []
`,
    });
    const text = problems.join('\n');
    expect(text).toContain('loose.yaml: identity.pattern accepts "", "a/b", "+"');
    expect(text).toContain('topics[0] "tele/+/SENSOR": level 2 "+": "+" is not pattern syntax');
    expect(text).toContain('topics[1] "hermes/intent/{intentName}": not confined to one device');
    expect(text).toContain('converter "no-such-converter" does not exist');
    expect(text).toContain('{identity} must stand at the same level in every pattern');
    expect(text).toContain(
      'topics[4] "cmnd/{identity}/{child}": a subscribe topic (hub -> device) has no converter',
    );
    expect(text).toContain('topics[4] "cmnd/{identity}/{child}": only a bridge has children');
    expect(text).toContain('topics[5] "stat/{identity}/{a}": a publish topic needs a converter');
  });

  it('refuses two declarations that would match the same topics', () => {
    const problems = loadErrors({
      'good.yaml': valid.replace(
        'capabilities:',
        "  - {pattern: 'tele/{identity}/{what}', direction: publish, converter: ignore}\n  - {pattern: 'tele/{identity}/{other}', direction: publish, converter: ignore}\ncapabilities:",
      ),
    });
    expect(problems.join('\n')).toContain('matches the same topics as topics[1]');
  });
});

describe('routes', () => {
  it('sends Tasmota SENSOR to its converter, not to the tele/# catch-all', () => {
    const route = findPublishRoute(profile('tasmota-plug'), 'tasmota_8A1F2C', 'tele/tasmota_8A1F2C/SENSOR');
    expect(route?.declaration.converter).toBe('tasmota-sensor');
    expect(
      findPublishRoute(profile('tasmota-plug'), 'tasmota_8A1F2C', 'tele/tasmota_8A1F2C/INFO1')?.declaration
        .converter,
    ).toBe('ignore');
  });

  it('never makes zigbee2mqtt/bridge a child called "bridge"', () => {
    const z2m = profile('zigbee2mqtt-plug');
    for (const topic of ['zigbee2mqtt/bridge', 'zigbee2mqtt/bridge/state', 'zigbee2mqtt/bridge/devices']) {
      const route = findPublishRoute(z2m, 'zigbee2mqtt', topic);
      expect(route, topic).not.toBeNull();
      expect(route?.child, topic).toBeUndefined();
    }
    expect(findPublishRoute(z2m, 'zigbee2mqtt', 'zigbee2mqtt/fridge_plug')?.child).toBe('fridge_plug');
  });

  it('routes a Shelly Gen2 switch status by its switch:{n} level, other components to ignore', () => {
    const gen2 = profile('shelly-gen2-plug');
    const route = findPublishRoute(gen2, 'plug', 'plug/status/switch:1');
    expect(route?.declaration.converter).toBe('shelly-gen2-switch-status');
    expect(route?.params).toEqual({ identity: 'plug', n: '1' });
    expect(findPublishRoute(gen2, 'plug', 'plug/status/sys')?.declaration.converter).toBe('ignore');
    expect(findPublishRoute(gen2, 'plug', 'other/status/switch:1')).toBeNull();
  });

  it('lets Zigbee2MQTT subscribe to its whole base topic, and tells which declaration covers a filter', () => {
    const z2m = profile('zigbee2mqtt-plug');
    expect(isSubscriptionAllowed(z2m, 'zigbee2mqtt', 'zigbee2mqtt/#')).toBe(true);
    expect(isSubscriptionAllowed(z2m, 'zigbee2mqtt', 'zigbee2mqtt_garage/#')).toBe(false);
    expect(findSubscribeRoute(z2m, 'zigbee2mqtt', 'zigbee2mqtt/fridge_plug/set')?.pattern).toBe(
      '{identity}/{child}/set',
    );
  });

  it('subscribes the hub to decoded device topics only, without duplicates', () => {
    const filters = devicePublishFilters(profiles.values());
    expect(filters).toContain('tele/+/SENSOR');
    expect(filters).toContain('hermes/intent/+');
    expect(filters).not.toContain('stat/+/#'); // ignored: not decoded
    expect(filters).not.toContain('+/online'); // already received through +/+
    expect(filters.some((filter) => filter.startsWith('hermes/audioServer') || filter === '#')).toBe(false);
  });
});

describe('checkPublish on shared topics', () => {
  const intent = fixture('hermes-intent.json'); // siteId kitchen

  it("accepts a satellite's intent for its own siteId", () => {
    const check = checkPublish(profile('rhasspy-satellite'), 'kitchen', 'hermes/intent/PlaceOrder', intent);
    expect(check.allowed).toBe(true);
  });

  it('refuses a satellite speaking for another site, or naming none', () => {
    const spoofed = checkPublish(
      profile('rhasspy-satellite'),
      'livingroom',
      'hermes/intent/PlaceOrder',
      intent,
    );
    expect(spoofed).toEqual({
      allowed: false,
      reason: 'payload siteId "kitchen" on hermes/intent/PlaceOrder is not this device\'s "livingroom"',
    });
    const noSite = checkPublish(
      profile('rhasspy-satellite'),
      'kitchen',
      'hermes/intent/PlaceOrder',
      Buffer.from('{}'),
    );
    expect(noSite.allowed).toBe(false);
    const notJson = checkPublish(
      profile('rhasspy-satellite'),
      'kitchen',
      'hermes/tts/sayFinished',
      Buffer.from('x'),
    );
    expect(notJson.allowed).toBe(false);
  });

  it("names a Rhasspy base's child from the payload's siteId", () => {
    const check = checkPublish(profile('rhasspy-base'), 'base', 'hermes/intent/PlaceOrder', intent);
    expect(check).toMatchObject({ allowed: true, child: 'kitchen' });
  });

  it('refuses a Shelly announcing itself under another id on shellies/announce', () => {
    const announce = fixture('shelly-gen1-announce.json'); // id shellyplug-s-7C87CE
    const gen1 = profile('shelly-gen1-plug');
    expect(checkPublish(gen1, 'shellyplug-s-7C87CE', 'shellies/announce', announce).allowed).toBe(true);
    expect(checkPublish(gen1, 'shellyplug-s-000000', 'shellies/announce', announce).allowed).toBe(false);
  });

  it('refuses an undeclared topic', () => {
    const check = checkPublish(
      profile('tasmota-plug'),
      'tasmota_8A1F2C',
      'tele/tasmota_000001/SENSOR',
      Buffer.from('{}'),
    );
    expect(check.allowed).toBe(false);
  });
});

describe('identities', () => {
  it('checks a given identity against the profile and against MQTT', () => {
    expect(checkIdentity(profile('tasmota-plug'), 'tasmota_8A1F2C')).toBeNull();
    expect(checkIdentity(profile('tasmota-plug'), 'tele/x')).not.toBeNull();
    expect(checkIdentity(profile('tasmota-plug'), '+')).not.toBeNull();
    expect(checkIdentity(profile('homepay-meter'), 'dev_4k2j9x0q1m7c3b5n')).toBeNull();
  });

  it("refuses an identity that would reach the hub's own topics or a shared topic", () => {
    const all = [...profiles.values()];
    expect(checkIdentity(profile('zigbee2mqtt-plug'), 'zigbee2mqtt', all)).toBeNull();
    expect(checkIdentity(profile('zigbee2mqtt-plug'), 'homepay', all)).toMatch(/homepay\/status/);
    expect(checkIdentity(profile('zigbee2mqtt-plug'), 'homeassistant', all)).toMatch(/homeassistant/);
    expect(checkIdentity(profile('zigbee2mqtt-plug'), 'hermes', all)).toMatch(/hermes/);
    expect(checkIdentity(profile('shelly-gen2-plug'), 'hermes', all)).toBeNull(); // no Gen2 topic reaches hermes/...
    expect(checkIdentity(profile('shelly-gen1-plug'), 'announce', all)).toMatch(/shellies\/announce/);
  });

  it('finds devices of different kinds that would share topics', () => {
    const clash = topicConflicts(
      { profile: profile('shelly-gen2-plug'), identity: 'zigbee2mqtt' },
      { profile: profile('zigbee2mqtt-plug'), identity: 'zigbee2mqtt' },
    );
    expect(clash.length).toBeGreaterThan(0);
    const apart = topicConflicts(
      { profile: profile('shelly-gen2-plug'), identity: 'shellyplusplugs-e465b8b3a1c4' },
      { profile: profile('zigbee2mqtt-plug'), identity: 'zigbee2mqtt' },
    );
    expect(apart).toEqual([]);
  });

  it('keeps two satellites apart by payload only, which topicConflicts leaves to checkPublish', () => {
    const satellite = profile('rhasspy-satellite');
    expect(
      topicConflicts(
        { profile: satellite, identity: 'kitchen' },
        { profile: satellite, identity: 'livingroom' },
      ),
    ).toEqual([]);
  });
});
