/**
 * The admin page: make a pairing QR code for a new phone and remove a lost one. A person signs in
 * with username, password and the authenticator code or a security key (the hub's HttpOnly session
 * cookie, with the CSRF token on every change), and adds or removes their security keys here; the
 * admin token is the other way in, for a fresh hub with no person yet, and there the page creates
 * logins for people. How it is signed in: lib/admin-session.js.
 */
import { credentials, currentSignIn, forgetSignIn, signOut } from '../lib/admin-session.js';
import { ApiError, api } from '../lib/api.js';
import { registerAuthenticator, webAuthnAvailable } from '../lib/approval.js';
import { h, replace } from '../lib/dom.js';
import { dateTime, t } from '../lib/i18n.js';
import { errorText } from '../lib/state.js';
import { signInForm } from './admin-sign-in.js';
import { empty, section } from './ui.js';

/** @typedef {import('../lib/admin-session.js').AdminSignIn} AdminSignIn */

export const title = 'admin.title';

/** @param {HTMLElement} view */
export function render(view) {
  return show(view, false);
}

/**
 * The management screen if the sign-in still works, else the sign-in form saying why.
 * @param {HTMLElement} view @param {boolean} justSignedIn
 */
async function show(view, justSignedIn) {
  const signIn = currentSignIn();
  const onSignedIn = () => show(view, true);
  if (!signIn) return signInForm(view, { onSignedIn });
  try {
    await api('/api/phones', credentials(signIn));
  } catch (err) {
    if (!(err instanceof ApiError && (err.status === 401 || err.status === 403))) throw err;
    forgetSignIn();
    // A login the hub accepted a moment ago but whose cookie did not come back: the browser did
    // not keep a Secure cookie on this (insecure) connection.
    const problem =
      signIn.kind === 'token'
        ? errorText(err)
        : t(justSignedIn ? 'admin.cookieRefused' : 'admin.sessionEnded');
    return signInForm(view, { mode: signIn.kind, problem, onSignedIn });
  }
  return manage(view, signIn, onSignedIn);
}

/**
 * @param {HTMLElement} view @param {AdminSignIn} signIn
 * @param {() => Promise<unknown>} onSignedIn
 */
async function manage(view, signIn, onSignedIn) {
  const auth = credentials(signIn);
  const pairing = h('div', { id: 'pairing' });
  const phones = h('div', { id: 'phones' });
  const status = h('p', { class: 'card-status', role: 'status' });

  /**
   * Shows what went wrong (at `where`, or at the top); a session that ended (401) goes back to the
   * sign-in form.
   * @param {unknown} err @param {HTMLElement} [where]
   */
  const failed = (err, where = status) => {
    if (err instanceof ApiError && err.status === 401) {
      forgetSignIn();
      const problem = signIn.kind === 'login' ? t('admin.sessionEnded') : errorText(err);
      signInForm(view, { mode: signIn.kind, problem, onSignedIn });
      return;
    }
    where.className = 'card-status error';
    where.textContent = errorText(err);
  };

  const drawPhones = async () => {
    const list = /** @type {any[]} */ (await api('/api/phones', auth));
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
                  await api(`/api/phones/${encodeURIComponent(phone.id)}`, { method: 'DELETE', ...auth });
                  await drawPhones();
                } catch (err) {
                  failed(err);
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
      const created = await api('/api/web/pairing', { method: 'POST', body: {}, ...auth });
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
      failed(err);
    }
  };

  const leave = async () => {
    try {
      await signOut(signIn);
    } catch (err) {
      failed(err);
      return;
    }
    signInForm(view, { mode: signIn.kind, onSignedIn });
  };

  replace(
    view,
    h(
      'p',
      { class: 'signed-in muted small', id: 'signed-in' },
      signIn.kind === 'login'
        ? t('admin.signedInAs', { name: signIn.username })
        : t('admin.signedInWithToken'),
    ),
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
    signIn.kind === 'login' ? securityKeysSection(auth, failed) : null,
    signIn.kind === 'token' ? peopleSection(auth, failed) : null,
    h('p', null, h('button', { type: 'button', id: 'admin-sign-out', onclick: leave }, t('admin.signOut'))),
  );
  try {
    await drawPhones();
  } catch (err) {
    failed(err);
  }
}

/**
 * The signed-in person's security keys: each with when it was added and last used, removable
 * (after a second click); and a name and a button that registers another (the browser asks the
 * key or the computer's own unlock). Public keys never come to the page.
 * @param {{ token?: string, csrfToken?: string }} auth
 * @param {(err: unknown, where?: HTMLElement) => void} failed
 */
function securityKeysSection(auth, failed) {
  const list = h('div', { id: 'security-keys' });
  const status = h('p', { class: 'card-status', role: 'status' });
  const name = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'security-key-name',
      autocomplete: 'off',
      maxlength: 100,
      placeholder: t('admin.keyNameHint'),
    })
  );
  const add = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'submit', class: 'primary', disabled: !webAuthnAvailable() }, t('admin.addKey'))
  );

  const draw = async () => {
    /** @type {Array<{ id: string, name: string, createdAt: string, lastUsedAt: string | null }>} */
    const keys = await api('/api/admin/security-keys', auth);
    replace(
      list,
      keys.length === 0
        ? empty(t('admin.noKeys'))
        : h(
            'ul',
            { class: 'rows' },
            keys.map((key) => {
              let armed = false;
              const remove = h(
                'button',
                { type: 'button', class: 'danger small', 'data-remove-key': key.id },
                t('admin.revoke'),
              );
              remove.addEventListener('click', async () => {
                if (!armed) {
                  armed = true;
                  remove.textContent = t('admin.revokeConfirm');
                  return;
                }
                try {
                  await api(`/api/admin/security-keys/${encodeURIComponent(key.id)}`, {
                    method: 'DELETE',
                    ...auth,
                  });
                  await draw();
                } catch (err) {
                  failed(err, status);
                }
              });
              return h(
                'li',
                { class: 'row', 'data-key': key.id },
                h('div', { class: 'row-main' }, h('strong', null, key.name), remove),
                h(
                  'div',
                  { class: 'row-sub muted small' },
                  h('span', null, t('admin.keyAdded', { time: dateTime(key.createdAt) })),
                  h(
                    'span',
                    null,
                    key.lastUsedAt
                      ? t('admin.keyUsed', { time: dateTime(key.lastUsedAt) })
                      : t('admin.keyNeverUsed'),
                  ),
                ),
              );
            }),
          ),
    );
  };

  const form = h(
    'form',
    { class: 'form', id: 'new-security-key' },
    h('label', { for: 'security-key-name' }, t('admin.keyName')),
    name,
    add,
    status,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(status);
    status.className = 'card-status';
    add.disabled = true;
    try {
      const options = await api('/api/admin/security-keys/registration-options', {
        method: 'POST',
        ...auth,
      });
      let response;
      try {
        response = await registerAuthenticator(options);
      } catch (err) {
        throw new ApiError(0, 'security_key_cancelled', /** @type {Error} */ (err).message);
      }
      await api('/api/admin/security-keys', {
        method: 'POST',
        body: { response, ...(name.value.trim() ? { name: name.value.trim() } : {}) },
        ...auth,
      });
      name.value = '';
      status.className = 'card-status ok';
      status.textContent = t('admin.keyAddedNow');
      await draw();
    } catch (err) {
      failed(err, status);
    } finally {
      add.disabled = false;
    }
  });
  draw().catch((err) => failed(err, status));
  return section(
    t('admin.securityKeys'),
    h('p', { class: 'muted small' }, t(webAuthnAvailable() ? 'admin.keysHelp' : 'admin.keysNeedHttps')),
    list,
    form,
  );
}

/**
 * Creates a login for a person and shows its authenticator enrolment, once: the QR code and the
 * otpauth:// address it holds. Nothing of it (nor the password) is kept by the page.
 * @param {{ token?: string, csrfToken?: string }} auth
 * @param {(err: unknown, where?: HTMLElement) => void} failed
 */
function peopleSection(auth, failed) {
  const username = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'person-username',
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
      pattern: '[a-z0-9_.\\-]{2,32}',
      minlength: 2,
      maxlength: 32,
      required: true,
    })
  );
  const password = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'person-password',
      type: 'password',
      autocomplete: 'new-password',
      minlength: 12,
      maxlength: 256,
      required: true,
    })
  );
  const enrolment = h('div', { id: 'enrolment' });
  const problem = h('p', { class: 'card-status', role: 'status' });
  const form = h(
    'form',
    { class: 'form', id: 'new-person' },
    h('label', { for: 'person-username' }, t('admin.username')),
    username,
    h('p', { class: 'muted small' }, t('admin.usernameHelp')),
    h('label', { for: 'person-password' }, t('admin.newPassword')),
    password,
    h('button', { type: 'submit', class: 'primary' }, t('admin.createPerson')),
    problem,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(enrolment);
    replace(problem);
    try {
      /** @type {{ username: string, totpUri: string, qr: string }} */
      const created = await api('/api/admin/users', {
        method: 'POST',
        body: { username: username.value.trim(), password: password.value },
        ...auth,
      });
      username.value = '';
      password.value = '';
      replace(
        enrolment,
        h('p', null, t('admin.enrolHelp', { name: created.username })),
        h('img', {
          class: 'qr',
          id: 'enrolment-qr',
          src: created.qr,
          alt: t('admin.enrolQr'),
          width: 240,
          height: 240,
        }),
        h('p', { class: 'muted small' }, t('admin.enrolUri')),
        h('p', null, h('code', { class: 'uri', id: 'totp-uri' }, created.totpUri)),
        h('p', { class: 'muted small' }, t('admin.enrolOnce')),
      );
    } catch (err) {
      failed(err, problem);
    }
  });
  return section(t('admin.people'), h('p', { class: 'muted small' }, t('admin.peopleHelp')), form, enrolment);
}
