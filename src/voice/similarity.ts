/**
 * How alike two names are, for near misses: a recognizer's typo ("cat fod"), a word said another
 * way ("猫咪粮" for 猫粮 / 猫咪粮食). Scores run from 0 (nothing shared) to 1 (the same).
 */

/** Optimal string alignment distance: edits, counting a swap of two neighbours ("cta") as one. */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  if (x.length === 0) return y.length;
  if (y.length === 0) return x.length;
  let before: number[] = [];
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
        best = Math.min(best, (before[j - 2] as number) + 1);
      }
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[y.length] as number;
}

/** 1 - distance / longer length: "cat fod" vs "cat food" is 0.875. */
export function editSimilarity(a: string, b: string): number {
  const longest = Math.max([...a].length, [...b].length);
  return longest === 0 ? 1 : 1 - editDistance(a, b) / longest;
}

/** Longest common subsequence of characters. */
export function commonSubsequence(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let previous = new Array<number>(y.length + 1).fill(0);
  for (let i = 1; i <= x.length; i++) {
    const current = [0];
    for (let j = 1; j <= y.length; j++) {
      current.push(
        x[i - 1] === y[j - 1]
          ? (previous[j - 1] as number) + 1
          : Math.max(previous[j] as number, current[j - 1] as number),
      );
    }
    previous = current;
  }
  return previous[y.length] as number;
}

/**
 * For Chinese, where a near miss keeps the characters in order and adds or drops some (猫咪粮 and
 * 猫咪粮食 share 3 of 3 and 4): twice the common subsequence over both lengths.
 */
export function characterSimilarity(a: string, b: string): number {
  const total = [...a].length + [...b].length;
  return total === 0 ? 1 : (2 * commonSubsequence(a, b)) / total;
}

/** Two English words are the same word when equal, or one edit apart once they are long enough. */
export function sameWord(a: string, b: string): boolean {
  if (a === b) return true;
  const shorter = Math.min(a.length, b.length);
  if (shorter < 4) return false;
  return editDistance(a, b) <= (shorter >= 8 ? 2 : 1);
}

/** For English names: how many words the two share (allowing small typos), Dice-style. */
export function wordSimilarity(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  const unused = [...b];
  let shared = 0;
  for (const word of a) {
    const index = unused.findIndex((other) => sameWord(word, other));
    if (index < 0) continue;
    shared++;
    unused.splice(index, 1);
  }
  return (2 * shared) / (a.length + b.length);
}
