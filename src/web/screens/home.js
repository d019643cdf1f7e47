/** Home: the wallet at a glance and every payment waiting for this phone, updated live. */
import { api } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { intentCard } from '../lib/intent-card.js';
import { intentEvents, loadDevices } from '../lib/state.js';
import { balanceCard, empty, section } from './ui.js';

export const title = 'tab.home';

/** @param {HTMLElement} view */
export async function render(view) {
  const events = intentEvents();
  let wallet;
  let pending;
  try {
    [wallet, pending] = await Promise.all([
      api('/api/wallet'),
      api('/api/intents?status=requires_approval'),
      loadDevices(),
    ]);
  } catch (err) {
    events.stop();
    throw err;
  }
  const balance = h('div', null, balanceCard(wallet));
  const list = h('div', { class: 'cards', id: 'pending' });
  const none = empty(t('pending.none'));
  /** @type {Map<string, ReturnType<typeof intentCard>>} */
  const cards = new Map();

  const refreshBalance = async () => replace(balance, balanceCard(await api('/api/wallet')));
  const syncEmpty = () => {
    none.hidden = cards.size > 0;
  };
  /** @param {any} intent */
  const add = (intent) => {
    if (cards.has(intent.id)) return;
    const card = intentCard(intent, { onDecided: () => void refreshBalance() });
    cards.set(intent.id, card);
    list.prepend(card.element);
    syncEmpty();
  };
  for (const intent of [...pending].reverse()) add(intent);
  syncEmpty();

  replace(view, balance, section(t('pending.title'), none, list));

  events.start(
    (kind, intent) => {
      if (kind === 'approval_needed') add(intent);
      else cards.get(intent.id)?.update(intent);
      void refreshBalance();
    },
    // Back after a dropped stream: catch up on what was created meanwhile.
    async () => {
      for (const intent of await api('/api/intents?status=requires_approval')) add(intent);
      for (const [id, card] of cards) card.update(await api(`/api/intents/${encodeURIComponent(id)}`));
      await refreshBalance();
    },
  );
  return events.stop;
}
