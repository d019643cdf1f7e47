/** Settings: language, the fingerprint check and its threshold, notifications, speaker rules, this phone. */
import { api, optional } from '../lib/api.js';
import { webAuthnAvailable } from '../lib/approval.js';
import { h, replace } from '../lib/dom.js';
import { has, lang, money, setLang, t } from '../lib/i18n.js';
import { navigate, sessionChanged } from '../lib/nav.js';
import {
  currentSubscription,
  disablePush,
  enablePush,
  pushSupported,
  registerBiometric,
} from '../lib/phone-setup.js';
import { errorText, loadSession, state } from '../lib/state.js';
import { remove } from '../lib/store.js';
import { empty, section } from './ui.js';

export const title = 'settings';

/** @param {HTMLElement} view */
export async function render(view) {
  /** @type {any[]} */
  const speakers = await optional('/api/web/speakers', []);
  const draw = async () => {
    const config = state.config;
    const me = state.pairing;
    const status = h('p', { class: 'card-status', role: 'status', id: 'settings-status' });
    /** @param {() => Promise<void>} action @param {string} done */
    const act = (action, done) => async () => {
      try {
        await action();
        await draw();
        const after = view.querySelector('#settings-status');
        if (after) {
          after.className = 'card-status ok';
          after.textContent = done;
        }
      } catch (err) {
        status.className = 'card-status error';
        status.textContent =
          err instanceof Error && err.message === 'denied'
            ? t('settings.notificationsDenied')
            : errorText(err);
      }
    };
    const credentials = config?.allowCredentials ?? [];
    const subscribed = (await currentSubscription()) !== null && (config?.pushSubscriptions ?? 0) > 0;
    const always = localStorage.getItem('homepay.alwaysBiometric') === '1';
    let forgetArmed = false;
    const forget = h('button', { type: 'button', class: 'danger', id: 'forget' }, t('settings.forget'));
    forget.addEventListener('click', async () => {
      if (!forgetArmed) {
        forgetArmed = true;
        forget.textContent = t('settings.forgetConfirm');
        return;
      }
      await disablePush().catch(() => undefined);
      await remove('pairing');
      await loadSession();
      sessionChanged();
      navigate('/');
    });
    replace(
      view,
      status,
      section(
        t('settings.language'),
        h(
          'div',
          { class: 'segmented' },
          [
            ['zh', '中文'],
            ['en', 'English'],
          ].map(([value, label]) =>
            h(
              'button',
              {
                type: 'button',
                class: lang() === value ? 'active' : '',
                'aria-pressed': lang() === value ? 'true' : 'false',
                onclick: () => {
                  setLang(/** @type {'zh' | 'en'} */ (value));
                  navigate('/settings');
                },
              },
              label,
            ),
          ),
        ),
      ),
      section(
        t('settings.biometric'),
        h(
          'p',
          null,
          config?.biometricAbove !== null && config?.biometricAbove !== undefined
            ? t('settings.biometricThreshold', { amount: money(config.biometricAbove, config.currency) })
            : t('settings.biometricNone'),
        ),
        h(
          'p',
          { id: 'biometric-state' },
          credentials.length
            ? t('settings.biometricRegistered', { count: credentials.length })
            : t('settings.biometricNotRegistered'),
        ),
        webAuthnAvailable()
          ? h(
              'button',
              {
                type: 'button',
                id: 'register-biometric',
                onclick: act(registerBiometric, t('settings.biometricDone')),
              },
              t(credentials.length ? 'settings.biometricAddAnother' : 'settings.biometricRegister'),
            )
          : h('p', { class: 'muted small' }, t('settings.biometricInsecure')),
        h(
          'label',
          { class: 'check' },
          h('input', {
            type: 'checkbox',
            checked: always,
            disabled: credentials.length === 0,
            onchange: (/** @type {Event} */ e) =>
              localStorage.setItem(
                'homepay.alwaysBiometric',
                /** @type {HTMLInputElement} */ (e.target).checked ? '1' : '0',
              ),
          }),
          t('settings.biometricAlways'),
        ),
      ),
      section(
        t('settings.notifications'),
        !pushSupported() || !config?.webPush
          ? h('p', { class: 'muted small' }, t('settings.notificationsUnsupported'))
          : [
              h('p', null, subscribed ? t('settings.notificationsOn') : t('settings.notificationsOff')),
              subscribed
                ? h(
                    'button',
                    { type: 'button', onclick: act(disablePush, t('settings.notificationsOff')) },
                    t('settings.notificationsDisable'),
                  )
                : h(
                    'button',
                    { type: 'button', onclick: act(enablePush, t('settings.notificationsOn')) },
                    t('settings.notificationsEnable'),
                  ),
            ],
      ),
      section(
        t('settings.speakers'),
        speakers.length ? h('p', { class: 'muted small' }, t('settings.speakerPolicyWhere')) : null,
        speakers.length === 0
          ? empty(t('settings.speakersNone'))
          : h(
              'ul',
              { class: 'rows' },
              speakers.map((speaker) => {
                const policy = speaker.policy;
                return h(
                  'li',
                  { class: 'row' },
                  h('div', { class: 'row-main' }, h('strong', null, speaker.name)),
                  h(
                    'div',
                    { class: 'row-sub muted small', 'data-speaker': speaker.deviceId },
                    policy
                      ? [
                          t('settings.speakerPolicy', {
                            ordering: policy.ordering ? t('on') : t('off'),
                            max: money(policy.maxPerOrder),
                            daily: money(policy.dailyCap),
                          }),
                          policy.quietHours && policy.quietHours.from !== policy.quietHours.to
                            ? `${t('sep')}${t('settings.quietHours', { from: policy.quietHours.from, to: policy.quietHours.to })}`
                            : '',
                          policy.categories.includes('*')
                            ? ''
                            : `${t('sep')}${t('settings.categories', { list: policy.categories.map((c) => (has(`category.${c}`) ? t(`category.${c}`) : c)).join(lang() === 'zh' ? '、' : ', ') })}`,
                        ]
                      : t('settings.speakerPolicyUnknown'),
                  ),
                );
              }),
            ),
      ),
      section(
        t('settings.phone'),
        h('p', null, me?.name ?? ''),
        h('p', { class: 'muted small' }, me?.phoneId ?? ''),
        forget,
      ),
    );
  };
  await draw();
  // Keep the credential list honest if it changed elsewhere (e.g. the admin removed one).
  api('/api/web/config').then(
    (config) => {
      state.config = config;
    },
    () => undefined,
  );
}
