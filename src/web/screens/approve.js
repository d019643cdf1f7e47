/** One payment, opened from a notification or a toast: the same card, alone, with a way back. */
import { ApiError, api } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { intentCard } from '../lib/intent-card.js';
import { intentEvents, loadDevices } from '../lib/state.js';
import { empty } from './ui.js';

export const title = 'pending.title';

/** @param {HTMLElement} view @param {Record<string, string>} params */
export async function render(view, params) {
  const events = intentEvents();
  const url = `/api/intents/${encodeURIComponent(params.id ?? '')}`;
  let intent;
  try {
    await loadDevices();
    intent = await api(url);
  } catch (err) {
    events.stop();
    if (err instanceof ApiError && err.status === 404) {
      replace(view, empty(t('intent.notFound')), h('a', { href: '/', 'data-nav': '' }, t('back')));
      return;
    }
    throw err;
  }
  const card = intentCard(intent);
  replace(
    view,
    h('div', { class: 'cards' }, card.element),
    h('p', null, h('a', { href: '/', 'data-nav': '', class: 'back' }, `← ${t('tab.home')}`)),
  );
  events.start(
    (_kind, next) => {
      if (next.id === intent.id) card.update(next);
    },
    async () => card.update(await api(url)),
  );
  return events.stop;
}
