/**
 * Card numbers as people type them ("6222 0200 0000 0008", "4242-4242-…"). These helpers never log
 * or keep a number: the caller passes it to the payment provider and keeps only `last4`.
 */

/** ISO/IEC 7812 allows 8 to 19 digits, but every payment card the hub accepts has 12 to 19. */
const CARD_DIGITS = /^\d{12,19}$/;

/**
 * The digits of a card number, without the spaces and dashes people type, or `null` when what is
 * left is not 12 to 19 digits. It does not check Luhn: a caller wants to tell "not a card number"
 * from "mistyped card number".
 */
export function normalizeCardNumber(input: string): string | null {
  const digits = input.replace(/[\s-]/g, '');
  return CARD_DIGITS.test(digits) ? digits : null;
}

/**
 * The Luhn (mod 10) check every card number carries in its last digit; it catches any single
 * mistyped digit and most swaps of neighbours. `number` must be digits only.
 */
export function luhnValid(number: string): boolean {
  if (!/^\d+$/.test(number) || number.length < 2) return false;
  let sum = 0;
  // Walk from the check digit leftwards, doubling every second digit.
  for (let i = 0; i < number.length; i++) {
    let digit = number.charCodeAt(number.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The last four digits: all a person needs to recognise a card, and all the hub keeps. */
export function last4(number: string): string {
  return number.slice(-4);
}
