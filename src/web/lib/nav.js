/**
 * Moving around the app and telling the user things, without the screens importing the shell:
 * the shell (app.js) listens on the bus.
 */
import { h } from './dom.js';
import { bus } from './state.js';

/** Goes to `path` inside the app without reloading. @param {string} path */
export function navigate(path) {
  history.pushState(null, '', path);
  bus.dispatchEvent(new Event('navigate'));
}

/** The pairing changed (paired, forgotten): the shell reloads the session and the live stream. */
export function sessionChanged() {
  bus.dispatchEvent(new Event('session'));
}

/** Shows a short message at the top for a few seconds. @param {string} text @param {string} [href] */
export function toast(text, href) {
  const toasts = document.getElementById('toasts');
  if (!toasts) return;
  const note = h(
    href ? 'a' : 'div',
    { class: 'toast', role: 'status', href, 'data-nav': href ? '' : undefined },
    text,
  );
  toasts.appendChild(note);
  setTimeout(() => note.remove(), 6000);
}
