/**
 * One payment as a card: what, to whom, how much, which device asked and why, and, while it waits,
 * the approve and deny buttons. Deciding signs the v1 message here in the browser; above the
 * threshold the phone's fingerprint (WebAuthn) confirms the same message first.
 */
import { ApiError, api } from './api.js';
import { approvalMessage, assertApproval, sign } from './approval.js';
import { h, replace } from './dom.js';
import { dateTime, lang, money, t } from './i18n.js';
import { errorText, needsBiometric, state } from './state.js';

/**
 * @typedef {{ id: string, status: string, amount: number, currency: string, payee: { id: string, name: string },
 *   description: string, source: { kind: string, deviceId?: string }, items?: Array<{ name: string, quantity: number, amount: number }>,
 *   discounts?: Array<{ description: string, amount: number }>, reason?: string, challenge: string,
 *   expiresAt: string, createdAt: string, updatedAt: string, lastError?: string,
 *   anomaly?: { explanation: string, explanationZh: string } }} Intent
 */

/** @param {Intent} intent */
function whoAsked(intent) {
  const device = intent.source.deviceId ? state.devices.get(intent.source.deviceId) : undefined;
  const kind = t(`kind.${intent.source.kind}`);
  return device ? `${device.name} · ${kind}` : kind;
}

/** @param {Intent} intent */
function timeLeft(intent) {
  const minutes = Math.floor((Date.parse(intent.expiresAt) - Date.now()) / 60_000);
  return minutes >= 1 ? t('intent.expiresIn', { minutes }) : t('intent.expiresSoon');
}

/**
 * @param {Intent} initial
 * @param {{ onDecided?: (intent: Intent) => void }} [options]
 */
export function intentCard(initial, options = {}) {
  let intent = initial;
  let busy = false;
  const status = h('p', { class: 'card-status', role: 'status', 'aria-live': 'polite' });
  const actions = h('div', { class: 'card-actions' });
  const card = h('article', { class: 'card intent', 'data-intent': intent.id });

  const render = () => {
    const pending = intent.status === 'requires_approval';
    card.dataset.status = intent.status;
    const items = (intent.items ?? []).map((item) =>
      h(
        'li',
        null,
        h('span', null, `${item.name} × ${item.quantity}`),
        h('span', { class: 'num' }, money(item.amount, intent.currency)),
      ),
    );
    const discounts = (intent.discounts ?? []).map((discount) =>
      h(
        'li',
        { class: 'discount' },
        h('span', null, `${t('intent.discount')}: ${discount.description}`),
        h('span', { class: 'num' }, money(-discount.amount, intent.currency)),
      ),
    );
    replace(
      card,
      h(
        'div',
        { class: 'card-top' },
        h('span', { class: 'badge' }, whoAsked(intent)),
        h(
          'span',
          { class: `badge status-${intent.status}` },
          pending ? timeLeft(intent) : t(`status.${intent.status}`),
        ),
      ),
      h(
        'div',
        { class: 'card-main' },
        h('h3', { class: 'payee' }, intent.payee.name),
        h('p', { class: 'amount num' }, money(intent.amount, intent.currency)),
      ),
      h('p', { class: 'what' }, intent.description),
      intent.reason ? h('p', { class: 'why' }, `${t('intent.why')}${t('colon')}“${intent.reason}”`) : null,
      items.length || discounts.length ? h('ul', { class: 'items' }, items, discounts) : null,
      h('p', { class: 'muted small' }, dateTime(intent.createdAt)),
      intent.anomaly
        ? h(
            'p',
            { class: 'note anomaly' },
            `${t('intent.unusual')}${t('colon')}${lang() === 'zh' ? intent.anomaly.explanationZh : intent.anomaly.explanation}`,
          )
        : null,
      pending && needsBiometric(intent) && !intent.anomaly
        ? h(
            'p',
            { class: 'note' },
            typeof state.config?.biometricAbove === 'number' && intent.amount > state.config.biometricAbove
              ? t('intent.needsBiometric', { amount: money(state.config.biometricAbove, intent.currency) })
              : t('settings.biometricAlways'),
          )
        : null,
      pending ? actions : null,
      status,
    );
    replace(
      actions,
      h(
        'button',
        {
          class: 'deny',
          type: 'button',
          'data-action': 'deny',
          disabled: busy,
          onclick: () => decide('deny'),
        },
        t('intent.deny'),
      ),
      h(
        'button',
        {
          class: 'approve primary',
          type: 'button',
          'data-action': 'approve',
          disabled: busy,
          onclick: () => decide('approve'),
        },
        t('intent.approve', { amount: money(intent.amount, intent.currency) }),
      ),
    );
  };

  /** @param {string} text @param {'ok' | 'error' | ''} [tone] */
  const say = (text, tone = '') => {
    status.textContent = text;
    status.className = `card-status ${tone}`;
  };

  /** @param {'approve' | 'deny'} action */
  async function decide(action) {
    const me = state.pairing;
    if (!me) return say(t('intent.noKey'), 'error');
    busy = true;
    render();
    say(t('intent.working'));
    try {
      const message = approvalMessage(intent, action, me.phoneId);
      /** @type {{ phoneId: string, signature: string, webauthn?: unknown }} */
      const body = { phoneId: me.phoneId, signature: sign(message, me.secretKey) };
      if (action === 'approve' && needsBiometric(intent)) {
        const credentials = state.config?.allowCredentials ?? [];
        if (credentials.length === 0) throw new Error(t('intent.setupBiometric'));
        say(t('intent.biometricPrompt'));
        try {
          body.webauthn = await assertApproval(message, credentials);
        } catch (err) {
          throw new ApiError(0, 'biometric_cancelled', /** @type {Error} */ (err).message);
        }
      }
      const decided = await api(`/api/intents/${encodeURIComponent(intent.id)}/${action}`, {
        method: 'POST',
        body,
      });
      busy = false;
      update(decided);
      options.onDecided?.(decided);
    } catch (err) {
      busy = false;
      render();
      say(errorText(err), 'error');
    }
  }

  /** A newer copy of this intent (from the hub or the live stream). @param {Intent} next */
  function update(next) {
    if (Date.parse(next.updatedAt) < Date.parse(intent.updatedAt)) return;
    intent = next;
    if (busy) return;
    render();
    if (intent.status === 'succeeded' && intent.source.kind === 'topup') {
      say(t('intent.toppedUp', { amount: money(intent.amount, intent.currency) }), 'ok');
    } else if (intent.status === 'succeeded') {
      say(
        t('intent.approved', { amount: money(intent.amount, intent.currency), payee: intent.payee.name }),
        'ok',
      );
    } else if (intent.status === 'denied') say(t('intent.denied'), 'ok');
    else if (intent.status === 'processing') say(t('intent.processing'));
    else if (intent.status === 'failed') say(intent.lastError ?? t('status.failed'), 'error');
    else if (intent.status !== 'requires_approval') say(t(`status.${intent.status}`));
  }

  render();
  return {
    element: card,
    update,
    get intent() {
      return intent;
    },
  };
}
