import QRCode from 'qrcode';

/**
 * What the terminal shows when no phone is paired yet: the pairing link and a QR code of it. It
 * goes to the terminal only, never to the log, because the code in it admits a phone.
 */
export async function pairingBanner(url: string, expiresAt: string, caFingerprint?: string): Promise<string> {
  const qr = await QRCode.toString(url, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
  return [
    '',
    'No phone is paired yet. Scan this with the phone that will approve payments,',
    `or open ${url}`,
    `(the code works once, until ${expiresAt}; \`homepay pair\` or POST /api/pairing makes a new one)`,
    ...(caFingerprint
      ? [`Install the hub's CA from /ca.crt first; its SHA-256 fingerprint is ${caFingerprint}`]
      : []),
    qr,
  ].join('\n');
}
