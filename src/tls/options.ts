import type { SecureContextOptions, TlsOptions } from 'node:tls';

/**
 * TLS 1.2 at least, 1.3 preferred, and only AEAD suites with 256-bit keys or ChaCha20: the TLS 1.3
 * AES-256-GCM and ChaCha20-Poly1305 suites, and their ECDHE counterparts for TLS 1.2 clients
 * (older Android phones, ESP32 devices). TLS_AES_128_GCM_SHA256 is left out on purpose.
 */
export const HUB_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export function hubTlsOptions(material: {
  certPem: string;
  keyPem: string;
}): TlsOptions & SecureContextOptions {
  return {
    cert: material.certPem,
    key: material.keyPem,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: HUB_CIPHERS,
    honorCipherOrder: true,
    ecdhCurve: 'X25519:P-256',
  };
}
