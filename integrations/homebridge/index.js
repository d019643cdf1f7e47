import { HomePayPlatform } from './lib/platform.js';
import { PLATFORM_NAME } from './lib/settings.js';

/**
 * The plugin's entry: Homebridge calls it once with its API.
 * @param {import('homebridge').API} api
 */
export default (api) => {
  api.registerPlatform(PLATFORM_NAME, HomePayPlatform);
};
