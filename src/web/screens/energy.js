/** Energy: each metered device's use and cost today and this month, as numbers and a bar chart, and the alerts. */
import { api, optional } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { dateTime, energy, money, t } from '../lib/i18n.js';
import { empty, section } from './ui.js';

export const title = 'energy.title';

const SPEAKERS = new Set(['homepay-speaker', 'rhasspy-satellite', 'rhasspy-base']);

/**
 * The energy state of a device as the hub gives it (SPEC: the fields of its state topic), wherever
 * the device JSON carries it.
 * @param {any} device
 * @returns {{ todayWh: number, todayCost: number, monthWh: number, monthCost: number, powerW?: number, currency: string } | null}
 */
export function energyOf(device) {
  const state = device.energy ?? device.energyState ?? device;
  if (typeof state?.todayWh !== 'number' && typeof state?.monthWh !== 'number') return null;
  return {
    todayWh: state.todayWh ?? 0,
    todayCost: state.todayCost ?? 0,
    monthWh: state.monthWh ?? 0,
    monthCost: state.monthCost ?? 0,
    powerW:
      typeof state.powerW === 'number'
        ? state.powerW
        : typeof device.powerW === 'number'
          ? device.powerW
          : undefined,
    currency: state.currency ?? 'CNY',
  };
}

/** Horizontal bars, one per device, labelled with the name and the kWh. @param {Array<{ name: string, wh: number }>} rows */
function chart(rows) {
  const max = Math.max(1, ...rows.map((row) => row.wh));
  const rowHeight = 28;
  const height = rows.length * rowHeight + 4;
  return h(
    'svg',
    {
      class: 'chart',
      viewBox: `0 0 320 ${height}`,
      role: 'img',
      'aria-label': rows.map((row) => `${row.name} ${energy(row.wh)}`).join(', '),
    },
    rows.map((row, i) => {
      const y = i * rowHeight + 2;
      const width = Math.max(2, Math.round((row.wh / max) * 180));
      return h(
        'g',
        null,
        h(
          'text',
          { x: 0, y: y + 17, class: 'chart-label' },
          row.name.length > 8 ? `${row.name.slice(0, 8)}…` : row.name,
        ),
        h('rect', { x: 84, y: y + 4, width, height: 18, rx: 4, class: 'chart-bar' }),
        h('text', { x: 84 + width + 6, y: y + 17, class: 'chart-value' }, (row.wh / 1000).toFixed(2)),
      );
    }),
  );
}

/** @param {HTMLElement} view */
export async function render(view) {
  const [devices, alerts] = await Promise.all([api('/api/devices'), optional('/api/alerts', [])]);
  const metered = [];
  for (const device of devices) {
    if (SPEAKERS.has(device.profile)) continue;
    const detail = await api(`/api/devices/${encodeURIComponent(device.id)}`);
    const state = energyOf(detail);
    if (state) metered.push({ device: detail, state });
  }
  let period = 'today';
  const chartBox = h('div', { class: 'chart-box' });
  const toggle = h('div', { class: 'segmented', role: 'tablist' });
  const drawChart = () => {
    replace(
      toggle,
      ['today', 'month'].map((p) =>
        h(
          'button',
          {
            type: 'button',
            role: 'tab',
            'aria-selected': p === period ? 'true' : 'false',
            class: p === period ? 'active' : '',
            onclick: () => {
              period = p;
              drawChart();
            },
          },
          t(p === 'today' ? 'energy.today' : 'energy.month'),
        ),
      ),
    );
    replace(
      chartBox,
      h('p', { class: 'muted small' }, t(period === 'today' ? 'energy.chartToday' : 'energy.chartMonth')),
      chart(
        metered.map(({ device, state }) => ({
          name: device.name,
          wh: period === 'today' ? state.todayWh : state.monthWh,
        })),
      ),
    );
  };
  drawChart();
  const alertList = Array.isArray(alerts) ? alerts : (alerts?.alerts ?? []);
  replace(
    view,
    metered.length === 0
      ? section(t('energy.title'), empty(t('energy.none')))
      : section(
          t('energy.title'),
          toggle,
          chartBox,
          h(
            'ul',
            { class: 'rows' },
            metered.map(({ device, state }) =>
              h(
                'li',
                { class: 'row', 'data-device': device.id },
                h(
                  'div',
                  { class: 'row-main' },
                  h('strong', null, device.name),
                  state.powerW !== undefined
                    ? h(
                        'span',
                        { class: 'muted small' },
                        t('devices.power', { watts: Math.round(state.powerW) }),
                      )
                    : null,
                ),
                h(
                  'div',
                  { class: 'row-sub small' },
                  h('span', null, `${t('energy.today')} ${energy(state.todayWh)}`),
                  h('span', { class: 'num' }, money(Math.round(state.todayCost), state.currency)),
                ),
                h(
                  'div',
                  { class: 'row-sub small' },
                  h('span', null, `${t('energy.month')} ${energy(state.monthWh)}`),
                  h('span', { class: 'num' }, money(Math.round(state.monthCost), state.currency)),
                ),
              ),
            ),
          ),
        ),
    section(
      t('energy.alerts'),
      alertList.length === 0
        ? empty(t('energy.noAlerts'))
        : h(
            'ul',
            { class: 'rows' },
            alertList.slice(0, 20).map((/** @type {any} */ alert) => {
              const isEnergy = alert.metric === 'energy';
              const show = (/** @type {number} */ v) => (isEnergy ? energy(v) : money(Math.round(v)));
              return h(
                'li',
                { class: 'row' },
                h(
                  'div',
                  { class: 'row-main' },
                  h('strong', null, alert.name),
                  h('span', { class: 'muted small' }, dateTime(alert.ts)),
                ),
                h(
                  'div',
                  { class: 'row-sub small' },
                  t('energy.alertLine', {
                    name: t(`energy.${alert.period === 'month' ? 'month' : 'today'}`),
                    value: show(alert.value),
                    threshold: show(alert.threshold),
                  }),
                ),
              );
            }),
          ),
    ),
  );
}
