/**
 * The service worker: keeps the app's files for offline start, and shows Web Push notifications.
 * A notification only says what waits and opens the approval screen; it never approves (no
 * actions): deciding needs the app, the phone's key and, above the threshold, its fingerprint.
 */
const BUILD = '__BUILD__';
const ASSETS = '__ASSETS__';
const CACHE = `homepay-${BUILD}`;
const SHELL = '/';

const STATUS_ZH = {
  succeeded: '已支付',
  failed: '失败',
  denied: '已拒绝',
  expired: '已过期',
  canceled: '已取消',
  processing: '付款中',
};

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll([SHELL, ...(Array.isArray(ASSETS) ? ASSETS : [])]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((key) => key.startsWith('homepay-') && key !== CACHE).map((key) => caches.delete(key)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/assets/')) {
    event.respondWith(caches.match(request).then((hit) => hit ?? fetch(request)));
  } else if (request.mode === 'navigate') {
    // The network first, so the app is always current; the kept shell when the hub is out of reach.
    event.respondWith(fetch(request).catch(() => caches.match(SHELL)));
  }
  // The API always goes to the hub: money is never answered from a cache.
});

/** The language the app last used, from its IndexedDB. */
function savedLanguage() {
  return new Promise((resolve) => {
    const open = indexedDB.open('homepay', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('kv');
    open.onerror = () => resolve('zh');
    open.onsuccess = () => {
      const db = open.result;
      const read = db.transaction('kv', 'readonly').objectStore('kv').get('lang');
      read.onsuccess = () => {
        db.close();
        resolve(read.result === 'en' ? 'en' : 'zh');
      };
      read.onerror = () => {
        db.close();
        resolve('zh');
      };
    };
  });
}

function money(amount, currency) {
  const abs = Math.abs(Math.trunc(amount));
  const symbol = currency === 'CNY' ? '¥' : `${currency} `;
  return `${amount < 0 ? '-' : ''}${symbol}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** The notification's words: the hub's English, or Chinese built from the same facts. */
async function wording(push) {
  const zh = (await savedLanguage()) === 'zh';
  if (!zh || typeof push.amount !== 'number' || typeof push.payeeName !== 'string') {
    return { title: push.title ?? 'homepay', body: push.body ?? '' };
  }
  const amount = money(push.amount, push.currency ?? 'CNY');
  if (push.kind === 'approval_needed') {
    return {
      title: `请确认：向${push.payeeName}支付 ${amount}`,
      body: `${push.description ?? ''}\n打开 homepay 批准或拒绝。`.trim(),
    };
  }
  return {
    title: `${push.payeeName} ${amount}：${STATUS_ZH[push.status] ?? push.status ?? ''}`,
    body: push.description ?? '',
  };
}

self.addEventListener('push', (event) => {
  let push = {};
  try {
    push = event.data ? event.data.json() : {};
  } catch {
    push = { title: 'homepay', body: event.data ? event.data.text() : '' };
  }
  event.waitUntil(
    wording(push).then(({ title, body }) =>
      self.registration.showNotification(title, {
        body,
        tag: push.intentId ? `intent-${push.intentId}` : 'homepay',
        renotify: push.kind === 'approval_needed',
        requireInteraction: push.kind === 'approval_needed',
        icon: `/assets/${BUILD}/icon.svg`,
        badge: `/assets/${BUILD}/icon.svg`,
        data: { intentId: push.intentId, kind: push.kind },
      }),
    ),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const id = event.notification.data?.intentId;
  // Always our own origin and path: a push cannot send the phone anywhere else.
  const path = typeof id === 'string' ? `/approve/${encodeURIComponent(id)}` : '/';
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      for (const client of windows) {
        if (new URL(client.url).origin === self.location.origin && 'navigate' in client) {
          await client.focus();
          return client.navigate(path);
        }
      }
      return self.clients.openWindow(path);
    })(),
  );
});
