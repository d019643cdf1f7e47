import QRCode from 'qrcode';

/**
 * `text` as a QR code in an SVG `data:` URL, for an `<img>` in the web app (its CSP allows data:
 * images and nothing else from outside). Used for the phone pairing link and the TOTP enrolment.
 */
export async function qrDataUrl(text: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}
