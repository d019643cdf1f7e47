import { describe, expect, it } from 'vitest';
import {
  compareSpecificity,
  fillPattern,
  filterCovers,
  identityProblem,
  isFilterWithin,
  matchTopic,
  patternProblems,
  patternsOverlap,
  patternToFilter,
} from '../../src/devices/topics.js';

const TASMOTA = 'tasmota_8A1F2C';

describe('fillPattern', () => {
  it('puts the identity in its level and leaves other placeholders for later', () => {
    expect(fillPattern('tele/{identity}/SENSOR', TASMOTA)).toBe('tele/tasmota_8A1F2C/SENSOR');
    expect(fillPattern('{identity}/{child}/set', 'zigbee2mqtt')).toBe('zigbee2mqtt/{child}/set');
    expect(fillPattern('{identity}/status/switch:{n}', 'plug')).toBe('plug/status/switch:{n}');
  });

  it('fills other placeholders from the values given', () => {
    expect(fillPattern('{identity}/{child}/set', 'zigbee2mqtt', { child: 'fridge_plug' })).toBe(
      'zigbee2mqtt/fridge_plug/set',
    );
    expect(fillPattern('{identity}/status/switch:{n}', 'plug', { n: '1' })).toBe('plug/status/switch:1');
  });

  it('refuses an identity or value that would widen or leave the pattern', () => {
    for (const identity of ['', 'a/b', '+', '#', 'x#', '$SYS']) {
      expect(() => fillPattern('tele/{identity}/SENSOR', identity)).toThrow();
    }
    expect(() => fillPattern('{identity}/{child}/set', 'zigbee2mqtt', { child: 'a/b' })).toThrow();
    expect(() => fillPattern('{identity}/{child}/set', 'zigbee2mqtt', { child: '+' })).toThrow();
  });

  it('keeps an identity that looks like a placeholder literal', () => {
    expect(fillPattern('tele/{identity}/SENSOR', '{child}')).toBe('tele/{child}/SENSOR');
    expect(matchTopic('tele/{identity}/SENSOR', '{child}', 'tele/other/SENSOR')).toBeNull();
  });
});

describe('matchTopic', () => {
  it('captures named levels and always returns the identity', () => {
    expect(
      matchTopic(
        'shellies/{identity}/relay/{n}/energy',
        'shellyplug-s-7C87CE',
        'shellies/shellyplug-s-7C87CE/relay/0/energy',
      ),
    ).toEqual({
      identity: 'shellyplug-s-7C87CE',
      n: '0',
    });
  });

  it('captures the part of a level around fixed text, such as switch:{n}', () => {
    expect(matchTopic('{identity}/status/switch:{n}', 'plug', 'plug/status/switch:0')).toEqual({
      identity: 'plug',
      n: '0',
    });
    expect(matchTopic('{identity}/status/switch:{n}', 'plug', 'plug/status/input:0')).toBeNull();
    expect(matchTopic('{identity}/status/switch:{n}', 'plug', 'plug/status/switch:')).toBeNull();
  });

  it('captures the rest of the topic under # and lets # match no level at all', () => {
    expect(matchTopic('stat/{identity}/#', TASMOTA, `stat/${TASMOTA}/POWER`)).toEqual({
      identity: TASMOTA,
      '#': 'POWER',
    });
    expect(matchTopic('stat/{identity}/#', TASMOTA, `stat/${TASMOTA}/a/b`)).toEqual({
      identity: TASMOTA,
      '#': 'a/b',
    });
    expect(matchTopic('stat/{identity}/#', TASMOTA, `stat/${TASMOTA}`)).toEqual({
      identity: TASMOTA,
      '#': '',
    });
  });

  it('does not match another device, another level count or a different text', () => {
    expect(matchTopic('tele/{identity}/SENSOR', TASMOTA, 'tele/tasmota_000001/SENSOR')).toBeNull();
    expect(matchTopic('tele/{identity}/SENSOR', TASMOTA, `tele/${TASMOTA}/SENSOR/extra`)).toBeNull();
    expect(matchTopic('tele/{identity}/SENSOR', TASMOTA, `tele/${TASMOTA}`)).toBeNull();
    expect(matchTopic('tele/{identity}/SENSOR', TASMOTA, `tele/${TASMOTA}/sensor`)).toBeNull();
  });

  it('never captures an empty level', () => {
    expect(matchTopic('{identity}/{child}', 'zigbee2mqtt', 'zigbee2mqtt/')).toBeNull();
    expect(
      matchTopic('{identity}/{child}/availability', 'zigbee2mqtt', 'zigbee2mqtt//availability'),
    ).toBeNull();
  });

  it('refuses topic names with wildcards, which no client may publish', () => {
    expect(matchTopic('{identity}/{child}', 'zigbee2mqtt', 'zigbee2mqtt/+')).toBeNull();
    expect(matchTopic('{identity}/{child}', 'zigbee2mqtt', 'zigbee2mqtt/#')).toBeNull();
    expect(matchTopic('stat/{identity}/#', TASMOTA, `stat/${TASMOTA}/+`)).toBeNull();
  });

  it('matches nothing for an identity with /, + or #', () => {
    expect(matchTopic('tele/{identity}/SENSOR', 'a/b', 'tele/a/b/SENSOR')).toBeNull();
    expect(matchTopic('tele/{identity}/SENSOR', '+', 'tele/+/SENSOR')).toBeNull();
    expect(matchTopic('{identity}/#', '#', '#/x')).toBeNull();
  });

  it('never matches a $ topic with a captured or # first level', () => {
    expect(matchTopic('{identity}/online', '$SYS', '$SYS/online')).toBeNull();
    expect(matchTopic('{first}/online', 'x', '$SYS/online')).toBeNull();
  });
});

describe('isFilterWithin', () => {
  const sensor = 'tele/{identity}/SENSOR';
  const commands = 'cmnd/{identity}/#';

  it('allows a Tasmota plug its own command topics, exactly or with wildcards inside them', () => {
    expect(isFilterWithin(`cmnd/${TASMOTA}/#`, commands, TASMOTA)).toBe(true);
    expect(isFilterWithin(`cmnd/${TASMOTA}/POWER`, commands, TASMOTA)).toBe(true);
    expect(isFilterWithin(`cmnd/${TASMOTA}/+`, commands, TASMOTA)).toBe(true);
    expect(isFilterWithin(`cmnd/${TASMOTA}`, commands, TASMOTA)).toBe(true);
  });

  it('does not allow a Tasmota plug #, tele/+/SENSOR or another device topic', () => {
    expect(isFilterWithin('#', commands, TASMOTA)).toBe(false);
    expect(isFilterWithin('tele/+/SENSOR', sensor, TASMOTA)).toBe(false);
    expect(isFilterWithin('cmnd/+/#', commands, TASMOTA)).toBe(false);
    expect(isFilterWithin('cmnd/tasmota_000001/#', commands, TASMOTA)).toBe(false);
    expect(isFilterWithin('cmnd/tasmotas/#', commands, TASMOTA)).toBe(false);
    expect(isFilterWithin('cmnd/#', commands, TASMOTA)).toBe(false);
  });

  it('never allows $SYS/#', () => {
    expect(isFilterWithin('$SYS/#', commands, TASMOTA)).toBe(false);
    expect(isFilterWithin('$SYS/#', '{identity}/#', 'zigbee2mqtt')).toBe(false);
    expect(isFilterWithin('$SYS/broker/uptime', '{first}/{second}/{third}', 'x')).toBe(false);
  });

  it('covers a filter + only with a whole captured level or #', () => {
    expect(isFilterWithin('zigbee2mqtt/+/set', '{identity}/{child}/set', 'zigbee2mqtt')).toBe(true);
    expect(isFilterWithin('zigbee2mqtt/+/set', '{identity}/fridge/set', 'zigbee2mqtt')).toBe(false);
    // switch:{n} would not cover input:0, which + also receives.
    expect(isFilterWithin('plug/status/+', '{identity}/status/switch:{n}', 'plug')).toBe(false);
    expect(isFilterWithin('plug/status/switch:1', '{identity}/status/switch:{n}', 'plug')).toBe(true);
  });

  it('covers a filter # only with a #', () => {
    expect(isFilterWithin('zigbee2mqtt/#', '{identity}/{child}', 'zigbee2mqtt')).toBe(false);
    expect(isFilterWithin('zigbee2mqtt/fridge/#', '{identity}/{child}/set', 'zigbee2mqtt')).toBe(false);
    expect(isFilterWithin('zigbee2mqtt/#', '{identity}/#', 'zigbee2mqtt')).toBe(true);
    expect(isFilterWithin('zigbee2mqtt/bridge/request/#', '{identity}/bridge/request/#', 'zigbee2mqtt')).toBe(
      true,
    );
  });

  it('refuses malformed filters and identities', () => {
    expect(isFilterWithin(`cmnd/${TASMOTA}/#/x`, commands, TASMOTA)).toBe(false);
    expect(isFilterWithin(`cmnd/${TASMOTA}/PO+`, commands, TASMOTA)).toBe(false);
    expect(isFilterWithin('', commands, TASMOTA)).toBe(false);
    expect(isFilterWithin('cmnd/+/#', commands, '+')).toBe(false);
  });

  it('treats shared Hermes topics as plain text', () => {
    expect(isFilterWithin('hermes/tts/say', 'hermes/tts/say', 'kitchen')).toBe(true);
    expect(isFilterWithin('hermes/tts/#', 'hermes/tts/say', 'kitchen')).toBe(false);
    expect(isFilterWithin('hermes/#', 'hermes/tts/say', 'kitchen')).toBe(false);
  });
});

describe('pattern syntax', () => {
  it('accepts the shapes the profiles use', () => {
    for (const pattern of [
      'tele/{identity}/SENSOR',
      '{identity}/status/switch:{n}',
      'stat/{identity}/#',
      'hermes/intent/{intentName}',
    ]) {
      expect(patternProblems(pattern)).toEqual([]);
    }
  });

  it('rejects + in patterns, # before the end, empty levels, partial {identity} and two captures in a level', () => {
    expect(patternProblems('tele/+/SENSOR')).not.toEqual([]);
    expect(patternProblems('tele/#/SENSOR')).not.toEqual([]);
    expect(patternProblems('tele//SENSOR')).not.toEqual([]);
    expect(patternProblems('/tele/{identity}')).not.toEqual([]);
    expect(patternProblems('tele/x{identity}/SENSOR')).not.toEqual([]);
    expect(patternProblems('tele/{identity}/{a}{b}')).not.toEqual([]);
    expect(patternProblems('tele/{identity}/{a}/{a}')).not.toEqual([]);
    expect(patternProblems('$SYS/{identity}')).not.toEqual([]);
    expect(patternProblems('tele/{identity}/{bad name}')).not.toEqual([]);
  });

  it('says what an identity must not be', () => {
    expect(identityProblem('tasmota_8A1F2C')).toBeNull();
    for (const identity of ['', 'a/b', 'a+b', 'a#b', '$SYS', 'a\u0000b', 'x'.repeat(257)]) {
      expect(identityProblem(identity)).not.toBeNull();
    }
  });
});

describe('patternsOverlap', () => {
  it('keeps two devices of one kind apart', () => {
    expect(patternsOverlap('tele/{identity}/#', 'a', 'tele/{identity}/#', 'b')).toBe(false);
    expect(patternsOverlap('tele/{identity}/#', 'a', 'tele/{identity}/SENSOR', 'a')).toBe(true);
  });

  it('finds a Shelly Gen2 prefix that would write into a Zigbee2MQTT base topic', () => {
    expect(patternsOverlap('{identity}/online', 'zigbee2mqtt', '{identity}/{child}', 'zigbee2mqtt')).toBe(
      true,
    );
    expect(patternsOverlap('{identity}/status/switch:{n}', 'p', '{identity}/status/input:{n}', 'p')).toBe(
      false,
    );
  });
});

describe('specificity and filters', () => {
  it('orders fixed levels before captures and captures before #', () => {
    const sorted = [
      '{identity}/#',
      '{identity}/{child}',
      '{identity}/bridge/#',
      '{identity}/bridge/state',
    ].sort(compareSpecificity);
    expect(sorted).toEqual([
      '{identity}/bridge/state',
      '{identity}/bridge/#',
      '{identity}/{child}',
      '{identity}/#',
    ]);
    expect(
      ['{identity}/status/{component}', '{identity}/status/switch:{n}'].sort(compareSpecificity),
    ).toEqual(['{identity}/status/switch:{n}', '{identity}/status/{component}']);
  });

  it('turns a pattern into the subscription filter that receives it', () => {
    expect(patternToFilter('{identity}/status/switch:{n}', 'plug')).toBe('plug/status/+');
    expect(patternToFilter('shellies/{identity}/relay/{n}/energy', 'x')).toBe('shellies/x/relay/+/energy');
  });

  it('knows when one filter already receives everything another does', () => {
    expect(filterCovers('+/+', '+/online')).toBe(true);
    expect(filterCovers('a/#', 'a/b/+')).toBe(true);
    expect(filterCovers('+/online', '+/+')).toBe(false);
    expect(filterCovers('#', '$SYS/x')).toBe(false);
  });
});
