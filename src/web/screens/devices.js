/** Devices: every speaker, plug and meter, whether it is online, when it was last seen, its power now. */
import { h, replace } from '../lib/dom.js';
import { dateTime, t } from '../lib/i18n.js';
import { loadDevices } from '../lib/state.js';
import { empty } from './ui.js';

export const title = 'devices.title';

/** @param {HTMLElement} view */
export async function render(view) {
  const devices = /** @type {any[]} */ (await loadDevices());
  replace(
    view,
    devices.length === 0
      ? empty(t('devices.none'))
      : h(
          'ul',
          { class: 'rows', id: 'devices' },
          devices.map((device) => {
            const power = device.powerW ?? device.power ?? device.energy?.powerW;
            return h(
              'li',
              { class: 'row', 'data-device': device.id },
              h(
                'div',
                { class: 'row-main' },
                h(
                  'strong',
                  null,
                  h('span', { class: `dot ${device.online ? 'on' : 'off'}`, 'aria-hidden': 'true' }),
                  device.name,
                ),
                h(
                  'span',
                  { class: `badge ${device.online ? 'status-succeeded' : ''}` },
                  t(device.online ? 'devices.online' : 'devices.offline'),
                ),
              ),
              h(
                'div',
                { class: 'row-sub muted small' },
                h('span', null, device.profile),
                h(
                  'span',
                  null,
                  device.lastSeen
                    ? t('devices.lastSeen', { time: dateTime(device.lastSeen) })
                    : t('devices.never'),
                ),
              ),
              typeof power === 'number'
                ? h('div', { class: 'row-sub small' }, t('devices.power', { watts: Math.round(power) }))
                : null,
            );
          }),
        ),
  );
}
