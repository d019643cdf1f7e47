/** The plugin's names, as Homebridge and config.json know them. */
export const PLUGIN_NAME = 'homebridge-homepay';
export const PLATFORM_NAME = 'HomePay';

/**
 * @typedef {object} Favourite
 * @property {string} name what Siri and the Home app call the switch ("Order Cat Food")
 * @property {string} order the words a homepay speaker would hear ("帮我买两袋猫粮", "two bags of cat food")
 * @property {string} [lang] zh-CN or en-US; by default the hub reads the language from the words
 */

/**
 * @typedef {object} HomePaySettings
 * @property {string} name
 * @property {string} hubUrl
 * @property {string | undefined} token
 * @property {string | undefined} mqttUrl
 * @property {string | undefined} ca
 * @property {{id: string, secret: string} | undefined} events a homepay-integration device
 * @property {{id: string, secret: string} | undefined} speaker a homepay-speaker device
 * @property {Favourite[]} favourites
 * @property {boolean} pendingSensor
 * @property {boolean} ruleSensors
 * @property {boolean} voiceLock
 * @property {'occupancy' | 'contact'} sensorType
 * @property {number} pollMs
 * @property {number} reconnectMs
 * @property {number} answerTimeoutMs
 */

/**
 * The platform's config.json entry made whole, with defaults; what is missing is reported, not
 * guessed.
 * @param {Record<string, unknown>} config
 * @returns {{settings: HomePaySettings, problems: string[]}}
 */
export function readSettings(config) {
  const problems = [];
  const text = (/** @type {unknown} */ value) => (typeof value === 'string' ? value.trim() : '');
  const hubUrl = text(config.hubUrl);
  if (!hubUrl) problems.push('hubUrl is missing (e.g. http://127.0.0.1:8080)');
  const token = text(config.token) || undefined;
  if (!token) problems.push('token is missing: the hub admin token (data/admin-token)');
  const device = (/** @type {string} */ id, /** @type {string} */ secret) =>
    text(config[id]) && text(config[secret])
      ? { id: text(config[id]), secret: text(config[secret]) }
      : undefined;
  const favourites = (Array.isArray(config.favourites) ? config.favourites : []).flatMap((entry, index) => {
    const name = text(entry?.name);
    const order = text(entry?.order);
    if (!name || !order) {
      problems.push(`favourites[${index}] needs a name and the words to order`);
      return [];
    }
    const lang = text(entry?.lang);
    return [{ name, order, ...(lang ? { lang } : {}) }];
  });
  const speaker = device('speakerDeviceId', 'speakerSecret');
  if (favourites.length > 0 && !speaker) {
    problems.push('quick-order switches need a homepay-speaker device (speakerDeviceId and speakerSecret)');
  }
  const seconds = (/** @type {unknown} */ value, /** @type {number} */ fallback) =>
    (typeof value === 'number' && value > 0 ? value : fallback) * 1000;
  return {
    settings: {
      name: text(config.name) || 'homepay',
      hubUrl,
      token,
      mqttUrl: text(config.mqttUrl) || undefined,
      ca: text(config.ca) || undefined,
      events: device('eventsDeviceId', 'eventsSecret'),
      speaker,
      favourites,
      pendingSensor: config.pendingSensor !== false,
      ruleSensors: config.ruleSensors !== false,
      voiceLock: config.voiceLock !== false,
      sensorType: config.sensorType === 'contact' ? 'contact' : 'occupancy',
      pollMs: seconds(config.pollSeconds, 30),
      reconnectMs: seconds(config.reconnectSeconds, 5),
      // HAP reports a write slower than about 9 s as timed out; the hub answers in milliseconds.
      answerTimeoutMs: seconds(config.answerTimeoutSeconds, 5),
    },
    problems,
  };
}
