import { createHmac } from 'node:crypto';

/**
 * A uniform number in [0, 1) that depends only on the seed and the parts named, never on call
 * order: the sandbox asks "does request K decline?" and gets the same answer whether K is the
 * first request of the day or the thousandth, in this process or after a restart. A keyed hash
 * does that; a stream PRNG (mulberry32 and friends) would not.
 */
export function seededUnit(seed: string, ...parts: ReadonlyArray<string | number>): number {
  const digest = createHmac('sha256', seed).update(parts.join('\u0000')).digest();
  // 32 bits are plenty for rates given to a few decimal places.
  return digest.readUInt32BE(0) / 2 ** 32;
}

/** A short hex string from the same keyed hash, for references that must repeat with the seed. */
export function seededHex(seed: string, length: number, ...parts: ReadonlyArray<string | number>): string {
  return createHmac('sha256', seed).update(parts.join('\u0000')).digest('hex').slice(0, length);
}
