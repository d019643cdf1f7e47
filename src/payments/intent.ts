/**
 * A payment intent and its life (SPEC "Payment intents"): created in `requires_approval`, it ends
 * `denied`, `expired` or `canceled` without moving money, or goes `processing` on a phone's
 * approval and then `succeeded` or `failed`. End states never change.
 */
export const INTENT_STATUSES = [
  'requires_approval',
  'processing',
  'succeeded',
  'failed',
  'denied',
  'expired',
  'canceled',
] as const;

export type IntentStatus = (typeof INTENT_STATUSES)[number];

export const SOURCE_KINDS = ['voice', 'energy', 'merchant', 'qr', 'manual', 'topup', 'withdrawal'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

const TRANSITIONS: Record<IntentStatus, readonly IntentStatus[]> = {
  requires_approval: ['processing', 'denied', 'expired', 'canceled'],
  processing: ['succeeded', 'failed'],
  succeeded: [],
  failed: [],
  denied: [],
  expired: [],
  canceled: [],
};

export function canTransition(from: IntentStatus, to: IntentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isFinal(status: IntentStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export interface OrderItem {
  sku: string;
  name: string;
  quantity: number;
  unitPrice: number;
  amount: number;
}

export interface Discount {
  kind: string;
  description: string;
  amount: number;
  /** An ecosystem offer's id, and the claim on its limited quantity that this intent holds. */
  offerId?: string;
  claimId?: string;
}

/**
 * Why the wallet found an intent unusual for this household (SPEC "Anomaly holds"): the phone
 * shows the explanation, and the approval needs the biometric step whatever the amount.
 */
export interface IntentAnomaly {
  rules: string[];
  explanation: string;
  explanationZh: string;
}

export interface Intent {
  id: string;
  status: IntentStatus;
  amount: number;
  currency: string;
  payee: { id: string; name: string };
  description: string;
  source: { kind: SourceKind; deviceId?: string };
  items?: OrderItem[];
  discounts?: Discount[];
  /** Why it was asked for, for the phone: the utterance, or the rule that fired. */
  reason?: string;
  /** Spending category (pets, groceries, energy...) for records, budgets and points. */
  category?: string;
  anomaly?: IntentAnomaly;
  pointsRedeemed: number;
  pointsEarned: number;
  fundingSourceId: string | null;
  challenge: string;
  expiresAt: string;
  createdAt: string;
  updatedAt: string;
  lastError?: string;
  /** The phone that approved or denied it. */
  decidedBy?: string;
}

export interface NewIntent {
  amount: number;
  currency?: string;
  payee: { id: string; name: string };
  description: string;
  source: { kind: SourceKind; deviceId?: string };
  fundingSourceId?: string | null;
  items?: OrderItem[];
  discounts?: Discount[];
  reason?: string;
  category?: string;
  pointsRedeemed?: number;
}
