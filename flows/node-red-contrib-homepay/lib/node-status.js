'use strict';

/**
 * Keeps a node's status dot in step with an MQTT connection: green while connected, red ring while
 * not. Returns the function that stops following (call it on close).
 * @param {{status: (status: object) => void}} node
 * @param {import('./hub-mqtt.js').HubConnection} connection
 * @param {(key: string) => string} label translates `status.connected` and `status.disconnected`
 */
function followConnection(node, connection, label) {
  const show = () =>
    node.status(
      connection.connected
        ? { fill: 'green', shape: 'dot', text: label('status.connected') }
        : { fill: 'red', shape: 'ring', text: label('status.disconnected') },
    );
  connection.on('up', show);
  connection.on('down', show);
  show();
  return () => {
    connection.off('up', show);
    connection.off('down', show);
  };
}

/**
 * The idempotency key of a message: `msg.idempotencyKey`, else the message id, so the same message
 * retried (a catch node looping it back) makes one intent, and a new message makes a new one.
 * @param {{idempotencyKey?: unknown, _msgid?: string}} msg
 */
function idempotencyKeyOf(msg) {
  const key = msg.idempotencyKey;
  if (typeof key === 'string' && key.trim() !== '') return key.trim();
  if (typeof key === 'number') return String(key);
  return `node-red-${msg._msgid}`;
}

/** A short line for a status text. @param {string} text */
function shorten(text, max = 32) {
  const chars = [...String(text)];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('');
}

module.exports = { followConnection, idempotencyKeyOf, shorten };
