/**
 * For topics a device must be allowed to publish but whose payload the hub does not use (Hermes
 * session bookkeeping, Tasmota INFO, Zigbee2MQTT bridge logs): declaring them keeps the device
 * connected (a refused publish closes its connection), and this converter drops them unread.
 */
import type { Converter } from '../types.js';

export const ignore: Converter = () => [];
