import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nacl from 'tweetnacl';
import type { KeySealer } from '../tls/certificates.js';

const PLAIN: KeySealer = { seal: (value) => value, reveal: (value) => value };

/** Where the webhook signing seed lives; `keys rotate` re-seals it. */
export function webhookKeyFile(dataDir: string): string {
  return path.join(dataDir, 'webhook-signing-key');
}

/**
 * The hub's webhook signing key: an Ed25519 key pair made on first start. The 32-byte seed lives
 * in `<dataDir>/webhook-signing-key` (mode 0600) and nowhere else; merchants get the public key
 * to verify `Homepay-Signature`.
 *
 * The signed message is `{timestamp}.{body}`: the Unix time in seconds, a dot, and the exact bytes
 * of the request body. The header is `t={timestamp},ed25519={base64 signature}`. A receiver checks
 * the signature and that the timestamp is recent, which stops a captured request being replayed
 * later, and deduplicates by the `Homepay-Event-Id` header (the body's `id`).
 */
export class WebhookSigner {
  private constructor(private readonly keyPair: nacl.SignKeyPair) {}

  /** `secrets` seals the seed at rest under the data key (src/secrets/data-keys.ts). */
  static load(dataDir: string, secrets: KeySealer = PLAIN): WebhookSigner {
    const file = webhookKeyFile(dataDir);
    if (existsSync(file)) {
      const seed = Buffer.from(secrets.reveal(readFileSync(file, 'utf8').trim()), 'base64');
      if (seed.length === nacl.sign.seedLength) {
        chmodSync(file, 0o600);
        return new WebhookSigner(nacl.sign.keyPair.fromSeed(new Uint8Array(seed)));
      }
    }
    mkdirSync(dataDir, { recursive: true });
    const seed = nacl.randomBytes(nacl.sign.seedLength);
    writeFileSync(file, secrets.seal(Buffer.from(seed).toString('base64')), { mode: 0o600 });
    chmodSync(file, 0o600);
    return new WebhookSigner(nacl.sign.keyPair.fromSeed(seed));
  }

  /** Base64 of the 32-byte Ed25519 public key. */
  get publicKey(): string {
    return Buffer.from(this.keyPair.publicKey).toString('base64');
  }

  /** The `Homepay-Signature` header for a body sent at `timestampSeconds`. */
  header(body: string, timestampSeconds: number): string {
    const message = Buffer.from(`${timestampSeconds}.${body}`, 'utf8');
    const signature = Buffer.from(nacl.sign.detached(message, this.keyPair.secretKey)).toString('base64');
    return `t=${timestampSeconds},ed25519=${signature}`;
  }
}
