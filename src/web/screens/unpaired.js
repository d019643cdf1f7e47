/** What a phone that is not (or no longer) paired sees: how to pair, in plain words. */
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { state } from '../lib/state.js';

export const title = 'appName';

/** @param {HTMLElement} view */
export function render(view) {
  replace(
    view,
    h(
      'section',
      { class: 'card welcome' },
      h('h2', null, t('unpaired.title')),
      state.revoked ? h('p', { class: 'error' }, t('revoked')) : null,
      h('p', null, t('unpaired.body')),
      h('p', null, h('a', { href: '/pair', 'data-nav': '', class: 'button' }, t('pair.title'))),
      h('p', null, h('a', { href: '/admin', 'data-nav': '' }, t('unpaired.admin'))),
    ),
  );
}
