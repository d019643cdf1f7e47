/**
 * Pairing, from the admin page's QR code (`/pair?code=...`): the phone names itself, makes its
 * Ed25519 key pair here, keeps the secret key in IndexedDB and registers only the public key.
 */
import { api, useToken } from '../lib/api.js';
import { newKeyPair, webAuthnAvailable } from '../lib/approval.js';
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { navigate, sessionChanged } from '../lib/nav.js';
import { enablePush, pushSupported, registerBiometric } from '../lib/phone-setup.js';
import { errorText, loadSession, state } from '../lib/state.js';
import { put } from '../lib/store.js';

export const title = 'pair.title';

/** @param {HTMLElement} view */
export function render(view) {
  const params = new URLSearchParams(location.search);
  const code = params.get('code') ?? '';
  // The code admits a phone: keep it out of the address bar, history and any screenshot.
  if (code) history.replaceState(null, '', '/pair');
  const name = h('input', {
    id: 'phone-name',
    name: 'name',
    required: true,
    maxlength: 100,
    autocomplete: 'off',
    placeholder: t('pair.namePlaceholder'),
  });
  const codeInput = h('input', {
    id: 'pairing-code',
    name: 'code',
    required: true,
    maxlength: 32,
    autocomplete: 'one-time-code',
    autocapitalize: 'characters',
    value: code,
    type: code ? 'hidden' : 'text',
  });
  const status = h('p', { class: 'card-status', role: 'status', 'aria-live': 'polite' });
  const button = h('button', { class: 'primary', type: 'submit' }, t('pair.button'));
  const form = h(
    'form',
    { class: 'card form', id: 'pair-form' },
    h('p', null, t('pair.intro')),
    state.pairing && !state.revoked
      ? h('p', { class: 'note' }, t('pair.already', { name: state.pairing.name }))
      : null,
    h('label', { for: 'phone-name' }, t('pair.name')),
    name,
    code
      ? codeInput
      : [
          h('label', { for: 'pairing-code' }, t('pair.code')),
          h('p', { class: 'muted small' }, t('pair.noCode')),
          codeInput,
        ],
    button,
    status,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.setAttribute('disabled', '');
    status.className = 'card-status';
    status.textContent = t('pair.working');
    try {
      const keys = newKeyPair();
      const phoneName = /** @type {HTMLInputElement} */ (name).value.trim();
      const paired = await api('/api/phones', {
        method: 'POST',
        token: '',
        body: {
          code: /** @type {HTMLInputElement} */ (codeInput).value.trim(),
          name: phoneName,
          publicKey: keys.publicKey,
        },
      });
      await put('pairing', { phoneId: paired.phoneId, token: paired.token, name: phoneName, ...keys });
      useToken(paired.token);
      await loadSession();
      sessionChanged();
      showDone(view);
    } catch (err) {
      button.removeAttribute('disabled');
      status.className = 'card-status error';
      status.textContent = errorText(err);
    }
  });
  replace(view, form);
}

/** After pairing: offer the fingerprint and notifications, each one tap, both optional. @param {HTMLElement} view */
function showDone(view) {
  history.replaceState(null, '', '/pair');
  const status = h('p', { class: 'card-status', role: 'status' });
  /** @param {() => Promise<void>} action @param {string} done */
  const step = (action, done) => async (/** @type {Event} */ event) => {
    const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
    button.disabled = true;
    try {
      await action();
      status.className = 'card-status ok';
      status.textContent = done;
    } catch (err) {
      button.disabled = false;
      status.className = 'card-status error';
      status.textContent = errorText(err);
    }
  };
  replace(
    view,
    h(
      'section',
      { class: 'card form', id: 'paired' },
      h('h2', null, t('pair.done')),
      h('p', null, state.pairing?.name ?? ''),
      webAuthnAvailable()
        ? h(
            'button',
            {
              type: 'button',
              id: 'setup-biometric',
              onclick: step(registerBiometric, t('settings.biometricDone')),
            },
            t('settings.biometricRegister'),
          )
        : h('p', { class: 'muted small' }, t('settings.biometricInsecure')),
      pushSupported() && state.config?.webPush
        ? h(
            'button',
            { type: 'button', onclick: step(enablePush, t('settings.notificationsOn')) },
            t('settings.notificationsEnable'),
          )
        : null,
      status,
      h(
        'button',
        { class: 'primary', type: 'button', id: 'start', onclick: () => navigate('/') },
        t('pair.next'),
      ),
    ),
  );
}
