import { describe, expect, it } from 'vitest';
import { qrDataUrl } from '../../src/api/qr-data-url.js';
import { expectedQrModules, svgQrModules } from '../helpers/qr.js';

describe('qrDataUrl', () => {
  it('draws the text as an SVG data URL whose modules are exactly that text as a QR code', async () => {
    for (const text of [
      'http://localhost:8080/pair?code=ABCDEFGH23',
      'otpauth://totp/homepay:alice?issuer=homepay&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30',
    ]) {
      const url = await qrDataUrl(text);
      expect(url).toMatch(/^data:image\/svg\+xml;base64,[A-Za-z0-9+/]+=*$/);
      expect(svgQrModules(url)).toEqual(expectedQrModules(text));
    }
  });

  it('draws different texts differently', async () => {
    expect(svgQrModules(await qrDataUrl('otpauth://totp/a'))).not.toEqual(
      svgQrModules(await qrDataUrl('otpauth://totp/b')),
    );
  });
});
