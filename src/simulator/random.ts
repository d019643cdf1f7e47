/**
 * Deterministic randomness for the simulator: the same fleet seed gives the same appliances, the
 * same washer days and the same fridge cycles on every run, so a rerun that reuses its devices
 * continues their story instead of starting another.
 */

/** FNV-1a over a string: a 32-bit seed from a name such as `fleet-3f2a:plug-0007`. */
export function hashSeed(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: a small, fast generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A number in [0, 1) fixed by a seed and a bucket (a day, a five-minute slot): stateless noise. */
export function unitNoise(seed: number, bucket: number): number {
  return seededRandom(hashSeed(`${seed}:${bucket}`))();
}

/** A number in [min, max) from a generator. */
export function between(random: () => number, min: number, max: number): number {
  return min + (max - min) * random();
}

/** `length` hex digits from a generator, for MAC-like identities. */
export function hexDigits(random: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}
