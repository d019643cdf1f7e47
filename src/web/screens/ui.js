/** Small pieces the screens share: sections, empty states, the balance card. */
import { h } from '../lib/dom.js';
import { money, t } from '../lib/i18n.js';

/** @param {string} title @param {...unknown} children */
export function section(title, ...children) {
  return h('section', { class: 'section' }, h('h2', null, title), ...children);
}

/** @param {string} text */
export function empty(text) {
  return h('p', { class: 'empty muted' }, text);
}

/**
 * @param {{ balance: number, held: number, available: number, currency: string, points: number }} wallet
 */
export function balanceCard(wallet) {
  return h(
    'section',
    { class: 'card balance', 'data-balance': wallet.balance, 'data-available': wallet.available },
    h('p', { class: 'muted small' }, t('available')),
    h('p', { class: 'big num', 'data-testid': 'available' }, money(wallet.available, wallet.currency)),
    h(
      'dl',
      { class: 'facts' },
      h(
        'div',
        null,
        h('dt', null, t('balance')),
        h('dd', { class: 'num', 'data-testid': 'balance' }, money(wallet.balance, wallet.currency)),
      ),
      h(
        'div',
        null,
        h('dt', null, t('held')),
        h('dd', { class: 'num' }, money(wallet.held, wallet.currency)),
      ),
      h('div', null, h('dt', null, t('points')), h('dd', { class: 'num' }, String(wallet.points))),
    ),
  );
}
