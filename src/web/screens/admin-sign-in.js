/**
 * The admin page's two ways in: a person's login (username, password and the authenticator's
 * 6-digit code, or instead of the code a security key), and behind a link the admin token, for a
 * fresh hub that has no person yet.
 */
import { logIn, logInWithSecurityKey, useAdminToken } from '../lib/admin-session.js';
import { webAuthnAvailable } from '../lib/approval.js';
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { errorText } from '../lib/state.js';

/**
 * @typedef {{ mode?: 'login' | 'token', problem?: string, onSignedIn: () => Promise<unknown> }} SignInOptions
 */

/** @param {HTMLElement} view @param {SignInOptions} options */
export function signInForm(view, options) {
  if (options.mode === 'token') tokenForm(view, options);
  else loginForm(view, options);
}

/** @param {string} id @param {string} text */
const label = (id, text) => h('label', { for: id }, text);

/** @param {string | undefined} problem */
const problemLine = (problem) =>
  h('p', { class: 'card-status error', role: 'alert', hidden: !problem }, problem ?? '');

/** @param {HTMLElement} view @param {SignInOptions} options */
function loginForm(view, options) {
  const username = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'admin-username',
      name: 'username',
      autocomplete: 'username',
      autocapitalize: 'none',
      spellcheck: 'false',
      maxlength: 64,
      required: true,
    })
  );
  const password = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'admin-password',
      name: 'password',
      type: 'password',
      autocomplete: 'current-password',
      maxlength: 256,
      required: true,
    })
  );
  const code = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'admin-code',
      name: 'code',
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
      pattern: '[0-9]{6}',
      maxlength: 6,
      required: true,
    })
  );
  const problem = problemLine(options.problem);
  const submit = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'submit', class: 'primary' }, t('admin.logIn'))
  );
  const form = h(
    'form',
    { class: 'card form', id: 'admin-login' },
    label('admin-username', t('admin.username')),
    username,
    label('admin-password', t('admin.password')),
    password,
    label('admin-code', t('admin.totp')),
    code,
    h('p', { class: 'muted small' }, t('admin.totpHelp')),
    problem,
    submit,
  );
  // Instead of the code: the password first, then the key signs the hub's challenge.
  const useKey = /** @type {HTMLButtonElement} */ (
    h('button', { type: 'button', id: 'admin-use-key', hidden: !webAuthnAvailable() }, t('admin.useKey'))
  );
  form.append(useKey);

  /** @param {boolean} busy @param {HTMLButtonElement} button @param {string} idle */
  const setBusy = (busy, button, idle) => {
    submit.disabled = busy;
    useKey.disabled = busy;
    button.textContent = busy ? t('admin.loggingIn') : idle;
  };

  /** @param {HTMLButtonElement} button @param {string} idle @param {() => Promise<unknown>} attempt */
  const signIn = async (button, idle, attempt) => {
    setBusy(true, button, idle);
    try {
      await attempt();
      password.value = '';
      code.value = '';
      await options.onSignedIn();
    } catch (err) {
      // A code works once and only for 30 seconds: the next try needs a new one.
      code.value = '';
      problem.hidden = false;
      problem.textContent = errorText(err);
      setBusy(false, button, idle);
      (button === submit ? code : useKey).focus();
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    signIn(submit, t('admin.logIn'), () => logIn(username.value.trim(), password.value, code.value.trim()));
  });
  useKey.addEventListener('click', () => {
    // The code is not needed here, but username and password are.
    if (!username.reportValidity() || !password.reportValidity()) return;
    signIn(useKey, t('admin.useKey'), () => logInWithSecurityKey(username.value.trim(), password.value));
  });
  replace(
    view,
    form,
    switchLink('use-token', t('admin.useToken'), () => tokenForm(view, { onSignedIn: options.onSignedIn })),
  );
}

/** @param {HTMLElement} view @param {SignInOptions} options */
function tokenForm(view, options) {
  const input = /** @type {HTMLInputElement} */ (
    h('input', { id: 'admin-token', type: 'password', autocomplete: 'off', required: true })
  );
  const problem = problemLine(options.problem);
  const form = h(
    'form',
    { class: 'card form', id: 'admin-sign-in' },
    h('p', { class: 'muted small' }, t('admin.tokenIntro')),
    label('admin-token', t('admin.token')),
    input,
    h('p', { class: 'muted small' }, t('admin.tokenHelp')),
    problem,
    h('button', { type: 'submit', class: 'primary' }, t('admin.signIn')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    useAdminToken(input.value.trim());
    input.value = '';
    try {
      await options.onSignedIn();
    } catch (err) {
      problem.hidden = false;
      problem.textContent = errorText(err);
    }
  });
  replace(
    view,
    form,
    switchLink('use-login', t('admin.useLogin'), () => loginForm(view, { onSignedIn: options.onSignedIn })),
  );
}

/**
 * The link under a sign-in form that switches to the other way in.
 * @param {string} id @param {string} text @param {() => void} onclick
 */
function switchLink(id, text, onclick) {
  return h('p', { class: 'small' }, h('button', { type: 'button', class: 'link', id, onclick }, text));
}
