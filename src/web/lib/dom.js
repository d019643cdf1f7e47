/**
 * A small DOM builder. Every text goes in as a text node (never parsed as HTML), so data from the
 * hub (payee names, utterances) can never become markup; the CSP forbids inline script anyway.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_TAGS = new Set(['svg', 'g', 'rect', 'line', 'text', 'path', 'circle', 'title']);

/**
 * `h('button', { class: 'primary', onclick: fn, 'data-id': id }, 'Approve')`: attributes are set
 * as attributes, `on*` functions become listeners, children may be strings, nodes, arrays or null.
 * @param {string} tag
 * @param {Record<string, unknown> | null} [props]
 * @param {...unknown} children
 * @returns {HTMLElement}
 */
export function h(tag, props = null, ...children) {
  const el = SVG_TAGS.has(tag) ? document.createElementNS(SVG_NS, tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    } else if (key === 'value' && 'value' in el) {
      /** @type {HTMLInputElement} */ (el).value = String(value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return /** @type {HTMLElement} */ (el);
}

/** @param {Element} el @param {unknown[]} children */
function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces everything inside `el` with `children`. @param {Element} el @param {...unknown} children */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}
