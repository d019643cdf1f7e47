import { X509Certificate } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { Logger } from '../logger.js';
import {
  ensureHubCertificates,
  hubNames,
  issueCertificate,
  type KeySealer,
  type TlsMaterial,
} from './certificates.js';
import { hubTlsOptions } from './options.js';

export interface HubTlsSettings {
  certFile?: string;
  keyFile?: string;
  names: string[];
}

/**
 * What HTTPS and MQTT over TLS serve: the household's own certificate when one is configured
 * (reloaded when its files change, e.g. after a Let's Encrypt renewal), else the one the hub's CA
 * issued. The hub's CA always exists: it also signs devices' client certificates.
 */
export class HubTls {
  private readonly listeners: Array<(options: SecureContextOptions) => void> = [];
  private watching = false;

  private constructor(
    readonly material: TlsMaterial,
    private readonly settings: HubTlsSettings,
    private readonly logger: Logger,
    private current: { certPem: string; keyPem: string },
  ) {}

  static async load(
    dataDir: string,
    settings: HubTlsSettings,
    logger: Logger,
    secrets?: KeySealer,
  ): Promise<HubTls> {
    const material = await ensureHubCertificates(dataDir, hubNames(settings.names), new Date(), secrets);
    const own =
      settings.certFile && settings.keyFile
        ? readOwnCertificate(settings.certFile, settings.keyFile)
        : undefined;
    return new HubTls(material, settings, logger, own ?? material);
  }

  /** Options for a TLS server; `clientCertificates` also asks clients for a certificate from the hub's CA. */
  serverOptions(clientCertificates = false): TlsOptions & SecureContextOptions {
    const options = hubTlsOptions(this.current);
    if (!clientCertificates) return options;
    // Requested, not required: most devices log in with a password; a certificate is an alternative.
    return { ...options, requestCert: true, rejectUnauthorized: false, ca: [this.material.caCertPem] };
  }

  get caFingerprint(): string {
    return this.material.caFingerprint;
  }

  get usesOwnCertificate(): boolean {
    return this.current !== this.material;
  }

  /** Calls `listener` with fresh options whenever the configured certificate files change. */
  onChange(listener: (options: SecureContextOptions) => void): void {
    this.listeners.push(listener);
    const { certFile, keyFile } = this.settings;
    if (this.watching || !certFile || !keyFile) return;
    this.watching = true;
    const reload = () => {
      try {
        this.current = readOwnCertificate(certFile, keyFile);
        for (const notify of this.listeners) notify(hubTlsOptions(this.current));
        this.logger.info({ certFile }, 'reloaded the TLS certificate');
      } catch (err) {
        // A half-written renewal must not take HTTPS down: keep serving the old certificate.
        this.logger.warn(
          { certFile, err: (err as Error).message },
          'new TLS certificate not usable yet; keeping the old one',
        );
      }
    };
    // Polling, not fs.watch: renewals usually replace the file (a new inode), which fs.watch misses.
    watchFile(certFile, { interval: 2000 }, reload);
    watchFile(keyFile, { interval: 2000 }, reload);
  }

  /**
   * A client certificate for a device, signed by the hub's CA, with the device id as its CN. The
   * serial is what the registry keeps on record: the broker admits only certificates on record.
   */
  async issueDeviceCertificate(
    deviceId: string,
  ): Promise<{ certPem: string; keyPem: string; serial: string }> {
    const issued = await issueCertificate({
      caCertPem: this.material.caCertPem,
      caKeyPem: this.material.caKeyPem,
      commonName: deviceId,
      names: [],
      usage: 'client',
      days: 3650,
    });
    return { ...issued, serial: new X509Certificate(issued.certPem).serialNumber };
  }

  stop(): void {
    if (this.settings.certFile) unwatchFile(this.settings.certFile);
    if (this.settings.keyFile) unwatchFile(this.settings.keyFile);
    this.listeners.length = 0;
    this.watching = false;
  }
}

function readOwnCertificate(certFile: string, keyFile: string): { certPem: string; keyPem: string } {
  const certPem = readFileSync(certFile, 'utf8');
  const keyPem = readFileSync(keyFile, 'utf8');
  if (!certPem.includes('BEGIN CERTIFICATE') || !keyPem.includes('PRIVATE KEY')) {
    throw new Error('certFile and keyFile must be PEM');
  }
  return { certPem, keyPem };
}
