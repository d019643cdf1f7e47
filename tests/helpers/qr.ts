import QRCode from 'qrcode';

/**
 * Reads the dark modules back out of a QR code `data:image/svg+xml` URL as the qrcode package draws
 * it (one `M x y` / `m dx dy` / `h n` path, half a module below each row's top), so a test can show
 * the image encodes exactly the text it should, without a camera or a decoder.
 */
export function svgQrModules(dataUrl: string): boolean[][] {
  const prefix = 'data:image/svg+xml;base64,';
  if (!dataUrl.startsWith(prefix)) throw new Error(`not an SVG data URL: ${dataUrl.slice(0, 40)}`);
  const svg = Buffer.from(dataUrl.slice(prefix.length), 'base64').toString('utf8');
  const size = Number(/viewBox="0 0 (\d+) \1"/.exec(svg)?.[1]);
  const path = /<path stroke="#000000" d="([^"]+)"/.exec(svg)?.[1];
  if (!size || !path) throw new Error('no QR path in the SVG');
  const grid = Array.from({ length: size }, () => Array<boolean>(size).fill(false));
  let x = 0;
  let y = 0;
  for (const [, op, a, b] of path.matchAll(/([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?/g)) {
    if (op === 'M') [x, y] = [Number(a), Number(b)];
    else if (op === 'm') [x, y] = [x + Number(a), y + Number(b)];
    else {
      for (let i = 0; i < Number(a); i++) (grid[Math.floor(y)] as boolean[])[x + i] = true;
      x += Number(a);
    }
  }
  return grid;
}

/** The modules `text` should have as a QR code (error correction M), with a 2-module quiet zone. */
export function expectedQrModules(text: string): boolean[][] {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = modules.size + 4;
  return Array.from({ length: size }, (_, row) =>
    Array.from({ length: size }, (_, col) => {
      const r = row - 2;
      const c = col - 2;
      return r >= 0 && c >= 0 && r < modules.size && c < modules.size && Boolean(modules.get(r, c));
    }),
  );
}
