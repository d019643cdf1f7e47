/**
 * The admin page: with the admin token, make a pairing QR code for a new phone and remove a lost
 * one. The token stays in this browser tab (sessionStorage) only.
 */
import { ApiError, api } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { dateTime, t } from '../lib/i18n.js';
import { errorText } from '../lib/state.js';
import { empty, section } from './ui.js';

export const title = 'admin.title';

const TOKEN_KEY = 'homepay.adminToken';

/** @param {HTMLElement} view */
export async function render(view) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return signIn(view);
  try {
    await api('/api/phones', { token });
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      sessionStorage.removeItem(TOKEN_KEY);
      return signIn(view, errorText(err));
    }
    throw err;
  }
  return manage(view, token);
}

/** @param {HTMLElement} view @param {string} [problem] */
function signIn(view, problem) {
  const input = h('input', { id: 'admin-token', type: 'password', autocomplete: 'off', required: true });
  const form = h(
    'form',
    { class: 'card form', id: 'admin-sign-in' },
    h('label', { for: 'admin-token' }, t('admin.token')),
    input,
    h('p', { class: 'muted small' }, t('admin.tokenHelp')),
    problem ? h('p', { class: 'card-status error' }, problem) : null,
    h('button', { type: 'submit', class: 'primary' }, t('admin.signIn')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, /** @type {HTMLInputElement} */ (input).value.trim());
    void render(view);
  });
  replace(view, form);
}

/** @param {HTMLElement} view @param {string} token */
async function manage(view, token) {
  const pairing = h('div', { id: 'pairing' });
  const phones = h('div', { id: 'phones' });
  const status = h('p', { class: 'card-status', role: 'status' });

  const drawPhones = async () => {
    const list = /** @type {any[]} */ (await api('/api/phones', { token }));
    replace(
      phones,
      list.length === 0
        ? empty(t('admin.noPhones'))
        : h(
            'ul',
            { class: 'rows' },
            list.map((phone) => {
              let armed = false;
              const revoke = h(
                'button',
                { type: 'button', class: 'danger small', 'data-revoke': phone.id },
                t('admin.revoke'),
              );
              revoke.addEventListener('click', async () => {
                if (!armed) {
                  armed = true;
                  revoke.textContent = t('admin.revokeConfirm');
                  return;
                }
                try {
                  await api(`/api/phones/${encodeURIComponent(phone.id)}`, { method: 'DELETE', token });
                  await drawPhones();
                } catch (err) {
                  status.className = 'card-status error';
                  status.textContent = errorText(err);
                }
              });
              return h(
                'li',
                { class: 'row', 'data-phone': phone.id },
                h(
                  'div',
                  { class: 'row-main' },
                  h('strong', null, phone.name),
                  phone.revokedAt ? h('span', { class: 'badge' }, t('admin.revoked')) : revoke,
                ),
                h(
                  'div',
                  { class: 'row-sub muted small' },
                  h('span', null, t('admin.pairedAt', { time: dateTime(phone.createdAt) })),
                  h('span', null, phone.id),
                ),
              );
            }),
          ),
    );
  };

  const newCode = async () => {
    try {
      const created = await api('/api/web/pairing', { method: 'POST', token, body: {} });
      const minutes = Math.max(1, Math.round((Date.parse(created.expiresAt) - Date.now()) / 60_000));
      replace(
        pairing,
        h('p', null, t('admin.pairHelp', { minutes })),
        h('img', { class: 'qr', src: created.qr, alt: created.url, width: 240, height: 240 }),
        h(
          'p',
          { class: 'small' },
          h('a', { href: created.url, id: 'pairing-link', rel: 'noreferrer' }, created.url),
        ),
        h(
          'p',
          null,
          `${t('admin.code')}: `,
          h('strong', { class: 'code', id: 'pairing-code' }, created.code),
        ),
        created.caFingerprint
          ? h(
              'p',
              { class: 'muted small' },
              t('admin.caFingerprint'),
              ' ',
              h('a', { href: '/ca.crt' }, '/ca.crt'),
              h('br'),
              h('code', { class: 'fingerprint' }, created.caFingerprint),
            )
          : null,
      );
    } catch (err) {
      status.className = 'card-status error';
      status.textContent = errorText(err);
    }
  };

  replace(
    view,
    status,
    section(
      t('admin.pairNew'),
      h(
        'button',
        { type: 'button', class: 'primary', id: 'new-pairing', onclick: newCode },
        t('admin.pairNew'),
      ),
      pairing,
    ),
    section(t('admin.phones'), phones),
    h(
      'p',
      null,
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            sessionStorage.removeItem(TOKEN_KEY);
            void render(view);
          },
        },
        t('admin.signOut'),
      ),
    ),
  );
  await drawPhones();
}
