import 'reflect-metadata';
import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces, hostname as osHostname } from 'node:os';
import path from 'node:path';
import * as x509 from '@peculiar/x509';

/**
 * The hub's own certificate authority and the server certificate it issues for HTTPS and MQTT over
 * TLS. Phones on the home Wi-Fi reach the hub by IP or `<host>.local`, which no public CA will
 * certify, so the hub makes a CA on first start (kept in `<dataDir>/tls/`), the household installs
 * it once (`/ca.crt`), and compares its fingerprint with the one the terminal and pairing page show.
 * Certificates are made with @peculiar/x509 on Node's WebCrypto (ECDSA P-256).
 */
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
// The library types the provider as the DOM `Crypto`, which Node's webcrypto implements.
x509.cryptoProvider.set(webcrypto as never);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const CA_YEARS = 10;
/** Apple refuses TLS server certificates valid for more than 398 days. */
const SERVER_DAYS = 397;
/** A server certificate is renewed when it has less than this left, or its names changed. */
const RENEW_BEFORE_DAYS = 30;

/** Seals private keys written to the data dir (src/secrets/data-keys.ts). */
export interface KeySealer {
  seal(plaintext: string): string;
  reveal(stored: string): string;
}

/** The files that hold the hub's private keys, sealed at rest; `keys rotate` re-seals them. */
export function tlsKeyFiles(dataDir: string): string[] {
  return [path.join(dataDir, 'tls', 'ca.key'), path.join(dataDir, 'tls', 'server.key')];
}

export interface TlsMaterial {
  caCertPem: string;
  /** The CA's private key; it never leaves the data dir (encrypted at rest when a data key exists). */
  caKeyPem: string;
  certPem: string;
  keyPem: string;
  /** SHA-256 of the CA certificate (DER), as `AB:CD:...`, for people to compare. */
  caFingerprint: string;
  /** The names the server certificate covers. */
  names: string[];
}

/** The names phones may use to reach the hub: localhost, the host name, `<host>.local`, every LAN address. */
export function hubNames(extra: string[] = []): string[] {
  const host = osHostname();
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((info) => info && !info.internal)
    .map((info) => (info as { address: string }).address);
  return [...new Set(['localhost', '127.0.0.1', '::1', host, `${host}.local`, ...addresses, ...extra])];
}

/**
 * Loads the CA and server certificate from `<dataDir>/tls/`, creating the CA on first start and
 * (re)issuing the server certificate when it is missing, expiring, or lacks one of `names`.
 */
export async function ensureHubCertificates(
  dataDir: string,
  names: string[],
  now = new Date(),
  secrets: KeySealer = { seal: (v) => v, reveal: (v) => v },
): Promise<TlsMaterial> {
  const dir = path.join(dataDir, 'tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = {
    caCert: path.join(dir, 'ca.crt'),
    caKey: path.join(dir, 'ca.key'),
    cert: path.join(dir, 'server.crt'),
    key: path.join(dir, 'server.key'),
  };
  if (!existsSync(files.caCert) || !existsSync(files.caKey)) {
    const ca = await createAuthority(now);
    writeSecret(files.caKey, secrets.seal(ca.keyPem));
    writeFileSync(files.caCert, ca.certPem);
  }
  const caCertPem = readFileSync(files.caCert, 'utf8');
  const caKeyPem = secrets.reveal(readFileSync(files.caKey, 'utf8'));

  let certPem = existsSync(files.cert) ? readFileSync(files.cert, 'utf8') : '';
  let keyPem = existsSync(files.key) ? secrets.reveal(readFileSync(files.key, 'utf8')) : '';
  if (!certPem || !keyPem || needsRenewal(certPem, names, now)) {
    const issued = await issueCertificate({
      caCertPem,
      caKeyPem,
      commonName: names[0] ?? 'localhost',
      names,
      now,
    });
    certPem = issued.certPem;
    keyPem = issued.keyPem;
    writeSecret(files.key, secrets.seal(keyPem));
    writeFileSync(files.cert, certPem);
  }
  return { caCertPem, caKeyPem, certPem, keyPem, caFingerprint: fingerprint(caCertPem), names };
}

async function createAuthority(now: Date): Promise<{ certPem: string; keyPem: string }> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const notAfter = new Date(now);
  notAfter.setFullYear(notAfter.getFullYear() + CA_YEARS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=homepay hub CA ${randomBytes(3).toString('hex')}, O=homepay`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter,
    keys: keys as CryptoKeyPair,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as CryptoKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKey(keys.privateKey as CryptoKey) };
}

export interface IssueRequest {
  caCertPem: string;
  caKeyPem: string;
  commonName: string;
  /** DNS names and IP addresses for a server; empty for a device's client certificate. */
  names: string[];
  usage?: 'server' | 'client';
  now?: Date;
  days?: number;
}

/** Issues a certificate signed by the hub's CA: a server's (with SANs) or a device's client certificate. */
export async function issueCertificate(request: IssueRequest): Promise<{ certPem: string; keyPem: string }> {
  const now = request.now ?? new Date();
  const ca = new x509.X509Certificate(request.caCertPem);
  const caKey = await importKey(request.caKeyPem);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const usage = request.usage ?? 'server';
  const sans = request.names.map((name) =>
    /^[0-9.]+$/.test(name) || name.includes(':')
      ? { type: 'ip' as const, value: name }
      : { type: 'dns' as const, value: name },
  );
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    new x509.ExtendedKeyUsageExtension([
      usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
    ]),
    await x509.AuthorityKeyIdentifierExtension.create(ca, false),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${escapeDn(request.commonName)}`,
    issuer: ca.subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + (request.days ?? SERVER_DAYS) * 86_400_000),
    publicKey: keys.publicKey as CryptoKey,
    signingKey: caKey,
    signingAlgorithm: ALGORITHM,
    extensions,
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKey(keys.privateKey as CryptoKey) };
}

/** `AB:CD:..` SHA-256 of a certificate's DER, as browsers and phones show it. */
export function fingerprint(certPem: string): string {
  const der = Buffer.from(new x509.X509Certificate(certPem).rawData);
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)?.join(':') as string;
}

function needsRenewal(certPem: string, names: string[], now: Date): boolean {
  const cert = new x509.X509Certificate(certPem);
  if (cert.notAfter.getTime() - now.getTime() < RENEW_BEFORE_DAYS * 86_400_000) return true;
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const covered = new Set(san?.names.items.map((item) => item.value) ?? []);
  return names.some((name) => !covered.has(name));
}

async function exportKey(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  return (await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decode(pem)[0] as ArrayBuffer,
    ALGORITHM,
    false,
    ['sign'],
  )) as CryptoKey;
}

function writeSecret(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** A positive random serial number (RFC 5280: unique per CA, at most 20 octets). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return bytes.toString('hex');
}

function escapeDn(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, '\\$1');
}
