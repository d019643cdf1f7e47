/**
 * Turning on what makes approvals safe and timely on this phone: a WebAuthn credential (the phone's
 * fingerprint or face unlock) and Web Push through the service worker.
 */
import { api } from './api.js';
import { fromBase64Url, registerAuthenticator, webAuthnAvailable } from './approval.js';
import { refreshConfig, state } from './state.js';

/** Registers this phone's platform authenticator with the hub. */
export async function registerBiometric() {
  const me = state.pairing;
  if (!me) throw new Error('not paired');
  if (!webAuthnAvailable()) throw new Error('WebAuthn needs HTTPS');
  const options = await api(`/api/phones/${me.phoneId}/webauthn/registration-options`, {
    method: 'POST',
    body: {},
  });
  const response = await registerAuthenticator(options);
  await api(`/api/phones/${me.phoneId}/webauthn/credentials`, {
    method: 'POST',
    body: { response, name: navigator.platform || 'phone' },
  });
  await refreshConfig();
}

export function pushSupported() {
  return (
    window.isSecureContext &&
    'serviceWorker' in navigator &&
    'PushManager' in window &&
    'Notification' in window
  );
}

/** @returns {Promise<PushSubscription | null>} */
export async function currentSubscription() {
  if (!pushSupported()) return null;
  const registration = await navigator.serviceWorker.getRegistration('/');
  return (await registration?.pushManager.getSubscription()) ?? null;
}

/** Asks for permission, subscribes with the hub's VAPID key and tells the hub where to push. */
export async function enablePush() {
  const me = state.pairing;
  const key = state.config?.webPush?.publicKey;
  if (!me || !key || !pushSupported()) throw new Error('push unsupported');
  if ((await Notification.requestPermission()) !== 'granted') throw new Error('denied');
  const registration = await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: fromBase64Url(key),
  });
  await api(`/api/phones/${me.phoneId}/push-subscription`, { method: 'POST', body: subscription.toJSON() });
  await refreshConfig();
}

export async function disablePush() {
  const me = state.pairing;
  const subscription = await currentSubscription();
  if (!me || !subscription) return;
  await api(`/api/phones/${me.phoneId}/push-subscription`, {
    method: 'DELETE',
    body: { endpoint: subscription.endpoint },
  }).catch(() => undefined);
  await subscription.unsubscribe();
  await refreshConfig();
}
