/** Wallet: balance and points, a top-up (an intent this phone then approves), cards and accounts, budgets and goals. */
import { api, optional } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { has, money, parseYuan, t } from '../lib/i18n.js';
import { errorText } from '../lib/state.js';
import { balanceCard, empty, section } from './ui.js';

export const title = 'tab.wallet';

/** @param {any} source */
function sourceLabel(source) {
  const kind = t(`source.${source.kind}`);
  const bank = source.bank
    ? document.documentElement.lang === 'en'
      ? source.bank.nameEn
      : source.bank.name
    : '';
  const tail = source.last4 ? `****${source.last4}` : (source.account ?? '');
  return [bank || kind, tail].filter(Boolean).join(' ');
}

/** A progress bar for spent-of-limit or saved-of-target. @param {number} part @param {number} whole */
function bar(part, whole) {
  const ratio = whole > 0 ? Math.min(1, Math.max(0, part / whole)) : 0;
  return h(
    'svg',
    {
      class: 'bar',
      viewBox: '0 0 100 6',
      preserveAspectRatio: 'none',
      role: 'img',
      'aria-label': `${Math.round(ratio * 100)}%`,
    },
    h('rect', { x: 0, y: 0, width: 100, height: 6, rx: 3, class: 'bar-bg' }),
    h('rect', {
      x: 0,
      y: 0,
      width: Math.round(ratio * 100),
      height: 6,
      rx: 3,
      class: ratio >= 1 ? 'bar-over' : 'bar-fg',
    }),
  );
}

/** @param {unknown} value */
const num = (value) => (typeof value === 'number' ? value : 0);

/** @param {HTMLElement} view */
export async function render(view) {
  const [wallet, budgets, goals] = await Promise.all([
    api('/api/wallet'),
    optional('/api/budgets', null),
    optional('/api/goals', null),
  ]);
  const currency = wallet.currency;
  const active = wallet.fundingSources.filter((/** @type {any} */ s) => s.status === 'active');

  const amount = h('input', {
    id: 'topup-amount',
    inputmode: 'decimal',
    placeholder: '100.00',
    autocomplete: 'off',
  });
  const from = h(
    'select',
    { id: 'topup-source' },
    active.map((/** @type {any} */ s) => h('option', { value: s.id }, sourceLabel(s))),
  );
  const status = h('p', { class: 'card-status', role: 'status' });
  const topup = h(
    'form',
    { class: 'inline-form' },
    h('label', { for: 'topup-amount' }, t('wallet.topupAmount')),
    amount,
    h('label', { for: 'topup-source' }, t('wallet.topupFrom')),
    from,
    h('button', { type: 'submit', class: 'primary' }, t('wallet.topup')),
    status,
  );
  topup.addEventListener('submit', async (event) => {
    event.preventDefault();
    const minor = parseYuan(/** @type {HTMLInputElement} */ (amount).value);
    if (!minor) return;
    try {
      const intent = await api('/api/wallet/topups', {
        method: 'POST',
        headers: { 'idempotency-key': crypto.randomUUID() },
        body: { amount: minor, fundingSourceId: /** @type {HTMLSelectElement} */ (from).value },
      });
      status.className = 'card-status ok';
      status.textContent = t('wallet.topupCreated', { amount: money(intent.amount, intent.currency) });
    } catch (err) {
      status.className = 'card-status error';
      status.textContent = errorText(err);
    }
  });

  const budgetList = Array.isArray(budgets) ? budgets : (budgets?.budgets ?? []);
  const goalList = Array.isArray(goals) ? goals : (goals?.goals ?? []);

  replace(
    view,
    balanceCard(wallet),
    active.length ? section(t('wallet.topup'), topup) : null,
    section(
      t('wallet.sources'),
      wallet.fundingSources.length === 0
        ? empty(t('wallet.noSources'))
        : h(
            'ul',
            { class: 'rows' },
            wallet.fundingSources.map((/** @type {any} */ source) =>
              h(
                'li',
                { class: 'row' },
                h(
                  'div',
                  { class: 'row-main' },
                  h('strong', null, sourceLabel(source)),
                  source.status === 'frozen'
                    ? h('span', { class: 'badge status-failed' }, t('source.frozen'))
                    : h('span', { class: 'muted small' }, t(`source.${source.kind}`)),
                ),
              ),
            ),
          ),
    ),
    section(
      t('wallet.budgets'),
      budgetList.length === 0
        ? empty(t('wallet.none'))
        : h(
            'ul',
            { class: 'rows' },
            budgetList.map((/** @type {any} */ budget) => {
              const limit = num(budget.limit ?? budget.amount);
              const spent = num(budget.spent);
              return h(
                'li',
                { class: 'row' },
                h(
                  'div',
                  { class: 'row-main' },
                  h(
                    'strong',
                    null,
                    has(`category.${budget.category}`)
                      ? t(`category.${budget.category}`)
                      : (budget.name ?? budget.category ?? ''),
                  ),
                  h(
                    'span',
                    { class: 'num small' },
                    t('wallet.spent', { spent: money(spent, currency), limit: money(limit, currency) }),
                  ),
                ),
                bar(spent, limit),
              );
            }),
          ),
    ),
    section(
      t('wallet.goals'),
      goalList.length === 0
        ? empty(t('wallet.none'))
        : h(
            'ul',
            { class: 'rows' },
            goalList.map((/** @type {any} */ goal) => {
              const target = num(goal.target ?? goal.amount);
              const saved = num(goal.saved ?? goal.balance);
              return h(
                'li',
                { class: 'row' },
                h(
                  'div',
                  { class: 'row-main' },
                  h('strong', null, goal.name ?? ''),
                  h(
                    'span',
                    { class: 'num small' },
                    t('wallet.saved', { saved: money(saved, currency), target: money(target, currency) }),
                  ),
                ),
                bar(saved, target),
              );
            }),
          ),
    ),
  );
}
