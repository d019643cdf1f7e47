/**
 * What the running app knows, shared by the screens: this phone's pairing, the hub's configuration
 * for it, device names, and a bus on which live intent events arrive.
 */
import { ApiError, api, useToken } from './api.js';
import { has, t } from './i18n.js';
import { pairing } from './store.js';

/**
 * @typedef {{ role: 'admin' | 'phone', phone: { id: string, name: string } | null, currency: string,
 *   biometricAbove: number | null, webPush: { publicKey: string } | null, pushSubscriptions: number,
 *   allowCredentials: Array<{ id: string, type: string, transports?: string[] }> }} WebConfig
 */

export const state = {
  /** @type {import('./store.js').Pairing | undefined} */
  pairing: undefined,
  /** @type {WebConfig | undefined} */
  config: undefined,
  /** @type {Map<string, { id: string, name: string, profile: string }>} */
  devices: new Map(),
  /** Set when the hub refused this phone's token: it was revoked. */
  revoked: false,
  live: false,
};

/** Live intent events: `intent` with `{ kind, intent }`, and `live` when the stream opens or drops. */
export const bus = new EventTarget();

/**
 * Listens to live intent events from now on, holding them until the screen has loaded and calls
 * `start`: an intent that arrives while the screen is still fetching is not lost. `onResync` runs
 * when the live stream comes back after a drop, when events may have been missed.
 * @returns {{ start: (handler: (kind: string, intent: any) => void, onResync?: () => void) => void, stop: () => void }}
 */
export function intentEvents() {
  /** @type {Array<[string, any]>} */
  const early = [];
  /** @type {((kind: string, intent: any) => void) | undefined} */
  let handle;
  /** @type {(() => void) | undefined} */
  let resync;
  let wasLive = state.live;
  /** @param {Event} event */
  const onIntent = (event) => {
    const { kind, intent } = /** @type {CustomEvent} */ (event).detail;
    if (handle) handle(kind, intent);
    else early.push([kind, intent]);
  };
  /** @param {Event} event */
  const onLive = (event) => {
    const live = /** @type {CustomEvent} */ (event).detail;
    if (live && !wasLive) resync?.();
    wasLive = live;
  };
  bus.addEventListener('intent', onIntent);
  bus.addEventListener('live', onLive);
  return {
    start(handler, onResync) {
      handle = handler;
      resync = onResync;
      for (const [kind, intent] of early.splice(0)) handler(kind, intent);
    },
    stop() {
      bus.removeEventListener('intent', onIntent);
      bus.removeEventListener('live', onLive);
    },
  };
}

/** Loads this phone's pairing and the hub's configuration for it. */
export async function loadSession() {
  state.pairing = await pairing();
  state.config = undefined;
  state.revoked = false;
  useToken(state.pairing?.token);
  if (!state.pairing) return;
  try {
    state.config = await api('/api/web/config');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) state.revoked = true;
    else throw err;
  }
}

export async function refreshConfig() {
  state.config = await api('/api/web/config');
}

export async function loadDevices() {
  /** @type {Array<{ id: string, name: string, profile: string }>} */
  const devices = await api('/api/devices');
  state.devices = new Map(devices.map((device) => [device.id, device]));
  return devices;
}

/** The biometric threshold applies, or this phone asks for it every time. @param {{ amount: number }} intent */
export function needsBiometric(intent) {
  const above = state.config?.biometricAbove;
  return (
    (typeof above === 'number' && intent.amount > above) ||
    localStorage.getItem('homepay.alwaysBiometric') === '1'
  );
}

/** The words for an error from the hub or the browser. @param {unknown} err */
export function errorText(err) {
  if (err instanceof ApiError && has(`error.${err.code}`)) return t(`error.${err.code}`);
  const message = err instanceof Error ? err.message : String(err);
  return t('error.generic', { message });
}
