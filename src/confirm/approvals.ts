import type { Clock } from '../clock.js';
import { HubError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Intent } from '../payments/intent.js';
import type { PaymentIntents } from '../payments/intents.js';
import type { Settlement } from '../payments/settlement.js';
import { type Db, inTransaction } from '../store/database.js';
import { approvalFieldsOf, buildApprovalMessage, verifyApprovalSignature } from './approval-message.js';
import type { Phones } from './phones.js';
import type { ApprovalAssertionVerifier } from './webauthn.js';

export interface Decision {
  phoneId: string;
  signature: string;
  webauthn?: unknown;
}

export interface ApprovalsContext {
  db: Db;
  intents: PaymentIntents;
  settlement: Settlement;
  phones: Phones;
  clock: Clock;
  logger: Logger;
  /** Above this amount an approval also needs a WebAuthn assertion (SPEC); undefined = never. */
  biometricAbove?: number;
  /** Checks WebAuthn assertions; without it, approvals above `biometricAbove` are refused. */
  webauthn?: ApprovalAssertionVerifier;
  /** How long an approve request waits for the provider before answering `processing`. */
  settleWaitMs?: number;
}

/**
 * A phone's approval or denial of one intent (SPEC "The approval signature"). Every check runs
 * before anything changes, and the state change itself is conditional, so a refused decision
 * leaves the intent and the ledger exactly as they were, and of any number of concurrent
 * decisions on one intent exactly one wins.
 */
export class Approvals {
  constructor(private readonly ctx: ApprovalsContext) {}

  /**
   * `requestingPhoneId` is the phone whose token made the request: a phone may only sign as itself.
   */
  async decide(
    intentId: string,
    action: 'approve' | 'deny',
    decision: Decision,
    requestingPhoneId: string,
  ): Promise<Intent> {
    const { intents, phones, clock } = this.ctx;
    const stored = intents.repository.get(intentId);
    if (!stored) throw new HubError('intent_not_found', `No payment intent with id ${intentId}`);
    if (decision.phoneId !== requestingPhoneId) {
      throw new HubError('phone_mismatch', 'phoneId is not the phone this token belongs to');
    }
    const phone = phones.get(decision.phoneId);
    if (!phone) throw new HubError('phone_not_paired', `Phone ${decision.phoneId} is not paired`);
    if (phone.revokedAt) throw new HubError('phone_revoked', `Phone ${phone.id} was revoked`);

    // The message is rebuilt from what the hub stored: a signature over any other amount, payee,
    // intent, challenge or action does not verify.
    const message = buildApprovalMessage(approvalFieldsOf(stored, action, phone.id));
    if (!verifyApprovalSignature(message, decision.signature, phone.publicKey)) {
      this.ctx.logger.warn({ intentId, phoneId: phone.id, action }, 'approval refused: bad signature');
      throw new HubError(
        'bad_signature',
        'The signature does not verify for this intent, amount, payee and phone',
      );
    }
    // An intent the wallet marked as unusual (stored.anomaly) needs it whatever its amount (SPEC).
    const biometricRequired =
      (this.ctx.biometricAbove !== undefined && stored.amount > this.ctx.biometricAbove) ||
      stored.anomaly !== undefined;
    // An approval above the threshold needs a WebAuthn assertion whose challenge is SHA-256 of this
    // very message; one sent below it is checked too, since a phone may ask for it every time.
    if (action === 'approve' && (biometricRequired || decision.webauthn !== undefined)) {
      if (decision.webauthn === undefined || !this.ctx.webauthn) {
        throw new HubError(
          'biometric_required',
          stored.anomaly
            ? `This intent looks unusual (${stored.anomaly.explanation}): approving it needs a WebAuthn assertion with user verification`
            : `Approvals above ${this.ctx.biometricAbove} need a WebAuthn assertion with user verification`,
        );
      }
      await this.ctx.webauthn.verifyApproval(phone.id, message, decision.webauthn);
    }

    const nowMs = clock.now();
    const at = new Date(nowMs).toISOString();
    const outcome = inTransaction(this.ctx.db, () => {
      const current = intents.repository.get(intentId);
      if (!current) return 'intent_not_found' as const;
      if (current.challengeUsedAt) return 'challenge_used' as const;
      if (current.status !== 'requires_approval') return 'intent_not_pending' as const;
      if (nowMs >= Date.parse(current.expiresAt)) return 'expired' as const;
      if (action === 'approve') {
        const moved = intents.repository.transition(
          intentId,
          'requires_approval',
          'processing',
          at,
          {
            decidedBy: phone.id,
            challengeUsed: true,
          },
          { phoneId: phone.id },
        );
        return moved ? ('approved' as const) : ('intent_not_pending' as const);
      }
      return 'deny' as const;
    });

    switch (outcome) {
      case 'approved': {
        const approved = intents.require(intentId);
        intents.announce(approved, 'requires_approval');
        await this.waitForSettlement(intentId);
        return intents.require(intentId);
      }
      case 'deny': {
        const denied = intents.end(
          intentId,
          'denied',
          { phoneId: phone.id },
          { decidedBy: phone.id, challengeUsed: true },
        );
        if (!denied) throw this.refusal('intent_not_pending', intentId);
        return denied;
      }
      default:
        throw this.refusal(outcome, intentId);
    }
  }

  private async waitForSettlement(intentId: string): Promise<void> {
    const settling = this.ctx.settlement.settle(intentId);
    const waitMs = this.ctx.settleWaitMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    await Promise.race([
      settling.then(() => {
        settled = true;
      }),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs))),
    ]);
    clearTimeout(timer);
    // The phone gets `processing` and later the end state (SSE, push); the log says why it waited.
    if (!settled)
      this.ctx.logger.info(
        { intentId, waitedMs: waitMs },
        'provider has not answered yet; the approval answers processing',
      );
  }

  private refusal(
    code: 'intent_not_found' | 'challenge_used' | 'intent_not_pending' | 'expired',
    intentId: string,
  ): HubError {
    const current = this.ctx.intents.repository.get(intentId);
    const messages = {
      intent_not_found: `No payment intent with id ${intentId}`,
      challenge_used: 'This approval was already used; the intent cannot be decided twice',
      intent_not_pending: `The intent is ${current?.status ?? 'gone'}, not waiting for approval`,
      expired: `The intent expired at ${current?.expiresAt}`,
    };
    return new HubError(code, messages[code]);
  }
}
