/**
 * The phone web app's entry: the shell (header, tabs, toasts), a router over the History API, the
 * live event stream, and the service worker. Each screen is a module with
 * `render(view, params) => cleanup | undefined`.
 */
import { ApiError, api, liveEvents } from './lib/api.js';
import { h, replace } from './lib/dom.js';
import { lang, money, setLang, t } from './lib/i18n.js';
import { toast } from './lib/nav.js';
import { bus, loadSession, state } from './lib/state.js';
import * as admin from './screens/admin.js';
import * as approve from './screens/approve.js';
import * as devices from './screens/devices.js';
import * as energy from './screens/energy.js';
import * as historyScreen from './screens/history.js';
import * as home from './screens/home.js';
import * as pair from './screens/pair.js';
import * as settings from './screens/settings.js';
import * as unpaired from './screens/unpaired.js';
import * as wallet from './screens/wallet.js';

/** @typedef {{ render: (view: HTMLElement, params: Record<string, string>) => (void | (() => void) | Promise<void | (() => void)>), title: string }} Screen */

/** @type {Array<[RegExp, Screen, string[]]>} pattern, screen, parameter names */
const ROUTES = [
  [/^\/$/, home, []],
  [/^\/approve\/([^/]+)$/, approve, ['id']],
  [/^\/history$/, historyScreen, []],
  [/^\/wallet$/, wallet, []],
  [/^\/energy$/, energy, []],
  [/^\/devices$/, devices, []],
  [/^\/settings$/, settings, []],
];

const TABS = [
  ['/', 'tab.home', '⌂'],
  ['/history', 'tab.history', '☰'],
  ['/wallet', 'tab.wallet', '¥'],
  ['/energy', 'tab.energy', 'ϟ'],
  ['/devices', 'tab.devices', '◉'],
];

const view = /** @type {HTMLElement} */ (document.getElementById('view'));
const header = /** @type {HTMLElement} */ (document.getElementById('top'));
const tabs = /** @type {HTMLElement} */ (document.getElementById('tabs'));

/** @type {(() => void) | undefined} */
let cleanup;
/** @type {EventSource | undefined} */
let events;

/** @param {string} pathname @returns {[Screen, Record<string, string>]} */
function route(pathname) {
  if (pathname === '/pair') return [pair, {}];
  if (pathname === '/admin') return [admin, {}];
  if (!state.pairing || state.revoked) return [unpaired, {}];
  for (const [pattern, screen, names] of ROUTES) {
    const match = pattern.exec(pathname);
    if (match)
      return [
        screen,
        Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')])),
      ];
  }
  return [home, {}];
}

function renderChrome(/** @type {Screen} */ screen) {
  const paired = Boolean(state.pairing) && !state.revoked && screen !== admin && screen !== pair;
  replace(
    header,
    h('h1', null, screen.title ? t(screen.title) : t('appName')),
    paired
      ? h(
          'span',
          {
            class: `live ${state.live ? 'on' : 'off'}`,
            title: t('live'),
            'data-live': state.live ? 'on' : 'off',
          },
          t('live'),
        )
      : null,
    h(
      'button',
      {
        class: 'lang',
        type: 'button',
        'aria-label': t('settings.language'),
        onclick: () => {
          setLang(lang() === 'zh' ? 'en' : 'zh');
          void show();
        },
      },
      lang() === 'zh' ? 'EN' : '中文',
    ),
    paired
      ? h('a', { class: 'gear', href: '/settings', 'data-nav': '', 'aria-label': t('settings') }, '⚙')
      : null,
  );
  tabs.hidden = !paired;
  replace(
    tabs,
    TABS.map(([path, key, icon]) =>
      h(
        'a',
        {
          href: path,
          'data-nav': '',
          class: location.pathname === path ? 'active' : '',
          'aria-current': location.pathname === path ? 'page' : undefined,
        },
        h('span', { class: 'icon', 'aria-hidden': 'true' }, icon),
        h('span', null, t(/** @type {string} */ (key))),
      ),
    ),
  );
}

/** Counts navigations: a screen that finishes loading after the user moved on is dropped. */
let generation = 0;

async function show() {
  const mine = ++generation;
  cleanup?.();
  cleanup = undefined;
  const [screen, params] = route(location.pathname);
  // A toast points at something on the previous screen; a new screen starts clean.
  document.getElementById('toasts')?.replaceChildren();
  renderChrome(screen);
  replace(view, h('p', { class: 'muted' }, t('loading')));
  // Each screen draws into its own element, shown only if it is still the current one.
  const target = h('div', { class: 'screen' });
  try {
    const result = await screen.render(target, params);
    const done = typeof result === 'function' ? result : undefined;
    if (mine !== generation) return done?.();
    replace(view, target);
    cleanup = done;
  } catch (err) {
    if (mine !== generation) return;
    replace(
      view,
      h('p', { class: 'error' }, /** @type {Error} */ (err).message || t('offline')),
      h('button', { type: 'button', onclick: () => show() }, t('retry')),
    );
  }
  window.scrollTo(0, 0);
}

function startLiveEvents() {
  events?.close();
  events = undefined;
  if (!state.pairing || state.revoked) return;
  events = liveEvents(
    state.pairing.token,
    (kind, intent) => {
      bus.dispatchEvent(new CustomEvent('intent', { detail: { kind, intent } }));
      if (kind === 'approval_needed' && location.pathname !== '/') {
        toast(
          t('toast.new', { amount: money(intent.amount, intent.currency), payee: intent.payee.name }),
          `/approve/${intent.id}`,
        );
      }
    },
    (open) => {
      state.live = open;
      const dot = header.querySelector('.live');
      if (dot) {
        dot.className = `live ${open ? 'on' : 'off'}`;
        dot.setAttribute('data-live', open ? 'on' : 'off');
      }
      bus.dispatchEvent(new CustomEvent('live', { detail: open }));
      if (!open) void checkStillPaired();
    },
  );
}

/** The stream dropped: if the hub no longer knows this phone (revoked), say so instead of retrying. */
async function checkStillPaired() {
  try {
    await api('/api/web/config');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      state.revoked = true;
      events?.close();
      events = undefined;
      await show();
    }
  }
}

/** Re-reads the pairing (after pairing, or forgetting it) and restarts the live stream. */
async function reloadSession() {
  await loadSession();
  startLiveEvents();
}

document.addEventListener('click', (event) => {
  const link = /** @type {Element} */ (event.target).closest?.('a[data-nav]');
  if (!link || event.defaultPrevented || /** @type {MouseEvent} */ (event).metaKey) return;
  event.preventDefault();
  history.pushState(null, '', /** @type {HTMLAnchorElement} */ (link).getAttribute('href') ?? '/');
  void show();
});
window.addEventListener('popstate', () => void show());
bus.addEventListener('navigate', () => void show());
bus.addEventListener('session', () => void reloadSession());

async function boot() {
  setLang(lang());
  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => undefined);
  }
  try {
    await reloadSession();
  } catch {
    // The hub is unreachable: the screen says so and offers a retry.
  }
  await show();
  document.body.dataset.ready = 'true';
}

void boot();
