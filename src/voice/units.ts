/**
 * Units people name when they order, and how they relate to the unit an item is sold by. A shop
 * assistant hears "一箱啤酒" for beer sold by the bottle and asks how many bottles; guessing a case
 * is twelve would be worse than asking. So every unit has a class: one thing (瓶, bottle), a
 * packed thing (袋, box), a bulk pack (箱, case), or a weight (斤, kg) nothing here is sold by. A
 * spoken unit of another class than the item's is a question back, never a silent conversion.
 */

export type UnitClass = 'single' | 'pack' | 'bulk' | 'weight' | 'generic';

/** Measure words a quantity may carry in Chinese. 个, 件, 份 fit anything. */
export const ZH_UNITS: Readonly<Record<string, UnitClass>> = {
  个: 'generic',
  件: 'generic',
  份: 'generic',
  样: 'generic',
  瓶: 'single',
  罐: 'single',
  听: 'single',
  支: 'single',
  台: 'single',
  只: 'single',
  块: 'single',
  根: 'single',
  条: 'single',
  卷: 'single',
  枚: 'single',
  颗: 'single',
  把: 'single',
  双: 'single',
  张: 'single',
  本: 'single',
  辆: 'single',
  部: 'single',
  副: 'single',
  对: 'single',
  袋: 'pack',
  包: 'pack',
  盒: 'pack',
  桶: 'pack',
  提: 'pack',
  套: 'pack',
  板: 'pack',
  箱: 'bulk',
  组: 'bulk',
  件装: 'bulk',
  斤: 'weight',
  公斤: 'weight',
  千克: 'weight',
  克: 'weight',
  升: 'weight',
  毫升: 'weight',
};

/** English units, singular and plural, with their class. */
export const EN_UNITS: Readonly<Record<string, UnitClass>> = {
  piece: 'generic',
  pieces: 'generic',
  unit: 'generic',
  units: 'generic',
  item: 'generic',
  items: 'generic',
  bottle: 'single',
  bottles: 'single',
  can: 'single',
  cans: 'single',
  jar: 'single',
  jars: 'single',
  tin: 'single',
  tins: 'single',
  roll: 'single',
  rolls: 'single',
  tube: 'single',
  tubes: 'single',
  bar: 'single',
  bars: 'single',
  bag: 'pack',
  bags: 'pack',
  box: 'pack',
  boxes: 'pack',
  pack: 'pack',
  packs: 'pack',
  packet: 'pack',
  packets: 'pack',
  carton: 'pack',
  cartons: 'pack',
  tub: 'pack',
  tubs: 'pack',
  sack: 'pack',
  sacks: 'pack',
  pouch: 'pack',
  pouches: 'pack',
  case: 'bulk',
  cases: 'bulk',
  crate: 'bulk',
  crates: 'bulk',
  kilo: 'weight',
  kilos: 'weight',
  kg: 'weight',
  kilogram: 'weight',
  kilograms: 'weight',
  pound: 'weight',
  pounds: 'weight',
  lb: 'weight',
  lbs: 'weight',
  gram: 'weight',
  grams: 'weight',
  liter: 'weight',
  liters: 'weight',
  litre: 'weight',
  litres: 'weight',
};

/** Chinese measure words, longest first so 公斤 wins over 斤. */
export const ZH_UNIT_PATTERN = Object.keys(ZH_UNITS)
  .sort((a, b) => b.length - a.length)
  .join('|');

export function unitClass(unit: string): UnitClass | undefined {
  return ZH_UNITS[unit] ?? EN_UNITS[unit];
}

/**
 * Whether a spoken unit can stand for the item's own: the same class, a word that fits anything
 * (个, piece), or packed things among themselves (一包猫粮 is 一袋猫粮). A dozen counts single
 * things, so it fits only items sold one by one.
 */
export function unitFits(spoken: string, itemUnit: string): boolean {
  if (spoken === itemUnit) return true;
  const said = unitClass(spoken);
  const sold = unitClass(itemUnit) ?? 'generic';
  if (said === undefined || said === 'generic') return true;
  if (said === 'weight') return false;
  return said === sold || sold === 'generic';
}

/** English plural of a unit or name for read-backs: bag -> bags, box -> boxes, battery -> batteries. */
export function pluralize(word: string): string {
  if (/(s|x|z|ch|sh)$/.test(word)) return `${word}es`;
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  return `${word}s`;
}

/** Singular of an English word, to compare "bags" with "bag" and "batteries" with "battery". */
export function singularize(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (/(ss|us|is)$/.test(word)) return word;
  if (/(xes|ches|shes|sses|zes)$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('ves') && word.length > 4) return `${word.slice(0, -3)}f`;
  if (word.endsWith('s')) return word.slice(0, -1);
  return word;
}
