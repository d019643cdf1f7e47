/**
 * History: every payment the household was asked about, newest first, with what it did to the
 * wallet, filtered by time, status, kind and payee.
 */
import { api } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { dateTime, money, t } from '../lib/i18n.js';
import { intentEvents, loadDevices, state } from '../lib/state.js';
import { empty } from './ui.js';

export const title = 'history.title';

const STATUSES = ['succeeded', 'requires_approval', 'processing', 'denied', 'expired', 'canceled', 'failed'];
const KINDS = ['voice', 'energy', 'merchant', 'qr', 'manual', 'topup', 'withdrawal'];

/** Money in (+) or out (−) of the wallet for a succeeded intent. @param {any} intent */
function signed(intent) {
  return intent.source.kind === 'topup' ? intent.amount : -intent.amount;
}

/**
 * @param {string} id @param {string} label @param {Array<[string, string]>} options @param {string} value
 * @param {(value: string) => void} onChange
 */
function select(id, label, options, value, onChange) {
  const el = h(
    'select',
    {
      id,
      name: id,
      onchange: (/** @type {Event} */ e) => onChange(/** @type {HTMLSelectElement} */ (e.target).value),
    },
    options.map(([optionValue, text]) =>
      h('option', { value: optionValue, selected: optionValue === value }, text),
    ),
  );
  return h('label', { class: 'filter' }, h('span', null, label), el);
}

/** @param {HTMLElement} view */
export async function render(view) {
  const events = intentEvents();
  try {
    await loadDevices();
  } catch (err) {
    events.stop();
    throw err;
  }
  /** @type {any[]} */
  /** @type {any[]} */
  let intents = await api('/api/intents?limit=500').catch((err) => {
    events.stop();
    throw err;
  });
  const filters = { period: 'month', status: '', kind: '', payee: '' };
  const list = h('ol', { class: 'rows', id: 'history' });
  const summary = h('p', { class: 'muted small', id: 'history-summary' });
  const filterBar = h('div', { class: 'filters' });

  const matches = (/** @type {any} */ intent) => {
    const created = Date.parse(intent.createdAt);
    const now = new Date();
    if (filters.period === 'month' && created < new Date(now.getFullYear(), now.getMonth(), 1).getTime())
      return false;
    if (filters.period === '30d' && created < now.getTime() - 30 * 86_400_000) return false;
    if (filters.status && intent.status !== filters.status) return false;
    if (filters.kind && intent.source.kind !== filters.kind) return false;
    if (filters.payee && intent.payee.id !== filters.payee) return false;
    return true;
  };

  const renderFilters = () => {
    const payees = new Map(intents.map((intent) => [intent.payee.id, intent.payee.name]));
    /** @param {keyof typeof filters} key */
    const set = (key) => (/** @type {string} */ value) => {
      filters[key] = value;
      renderRows();
    };
    replace(
      filterBar,
      select(
        'filter-period',
        t('history.period'),
        [
          ['month', t('history.thisMonth')],
          ['30d', t('history.last30')],
          ['all', t('history.allTime')],
        ],
        filters.period,
        set('period'),
      ),
      select(
        'filter-status',
        t('history.status'),
        [
          ['', t('history.all')],
          ...STATUSES.map((s) => /** @type {[string, string]} */ ([s, t(`status.${s}`)])),
        ],
        filters.status,
        set('status'),
      ),
      select(
        'filter-kind',
        t('history.kind'),
        [['', t('history.all')], ...KINDS.map((k) => /** @type {[string, string]} */ ([k, t(`kind.${k}`)]))],
        filters.kind,
        set('kind'),
      ),
      select(
        'filter-payee',
        t('history.payee'),
        [
          ['', t('history.all')],
          ...[...payees].map(([id, name]) => /** @type {[string, string]} */ ([id, name])),
        ],
        filters.payee,
        set('payee'),
      ),
    );
  };

  const renderRows = () => {
    const shown = intents.filter(matches);
    let out = 0;
    let inflow = 0;
    for (const intent of shown) {
      if (intent.status !== 'succeeded') continue;
      const amount = signed(intent);
      if (amount < 0) out -= amount;
      else inflow += amount;
    }
    const currency = state.config?.currency ?? 'CNY';
    summary.textContent = t('history.total', {
      count: shown.length,
      out: money(out, currency),
      in: money(inflow, currency),
    });
    replace(
      list,
      shown.length === 0
        ? h('li', null, empty(t('history.none')))
        : shown.map((intent) => {
            const device = intent.source.deviceId ? state.devices.get(intent.source.deviceId) : undefined;
            const moved = intent.status === 'succeeded';
            return h(
              'li',
              {
                class: `row status-${intent.status}`,
                'data-intent': intent.id,
                'data-status': intent.status,
              },
              h(
                'div',
                { class: 'row-main' },
                h('strong', null, intent.payee.name),
                h(
                  'span',
                  { class: `num amount ${moved ? (signed(intent) < 0 ? 'out' : 'in') : 'void'}` },
                  `${signed(intent) > 0 ? '+' : ''}${money(signed(intent), intent.currency)}`,
                ),
              ),
              h(
                'div',
                { class: 'row-sub muted small' },
                h('span', null, intent.description),
                h('span', { class: `badge status-${intent.status}` }, t(`status.${intent.status}`)),
              ),
              h(
                'div',
                { class: 'row-sub muted small' },
                h(
                  'span',
                  null,
                  `${dateTime(intent.createdAt)} · ${device ? `${device.name} · ` : ''}${t(`kind.${intent.source.kind}`)}`,
                ),
              ),
            );
          }),
    );
  };

  renderFilters();
  renderRows();
  replace(view, filterBar, summary, list);

  events.start(
    (_kind, intent) => {
      intents = [intent, ...intents.filter((other) => other.id !== intent.id)].sort(
        (a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt),
      );
      renderFilters();
      renderRows();
    },
    async () => {
      intents = await api('/api/intents?limit=500');
      renderFilters();
      renderRows();
    },
  );
  return events.stop;
}
