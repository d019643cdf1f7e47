/**
 * What this phone keeps: its pairing (phone id, bearer token, Ed25519 key pair) in IndexedDB, which
 * the service worker can read too. The secret key never leaves this database except to sign.
 */

const DB_NAME = 'homepay';
const STORE = 'kv';

/** @returns {Promise<IDBDatabase>} */
function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore) => IDBRequest} work
 * @returns {Promise<unknown>}
 */
async function run(mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** @param {string} key */
export function get(key) {
  return run('readonly', (store) => store.get(key));
}

/** @param {string} key @param {unknown} value */
export function put(key, value) {
  return run('readwrite', (store) => store.put(value, key));
}

/** @param {string} key */
export function remove(key) {
  return run('readwrite', (store) => store.delete(key));
}

/**
 * @typedef {{ phoneId: string, token: string, name: string, publicKey: string, secretKey: Uint8Array }} Pairing
 * @returns {Promise<Pairing | undefined>}
 */
export async function pairing() {
  const value = /** @type {Pairing | undefined} */ (await get('pairing'));
  return value?.phoneId && value.secretKey ? value : undefined;
}
