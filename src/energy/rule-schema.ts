/**
 * The shape of a threshold rule, one TypeBox schema for the settings file (`energy.rules`) and for
 * `POST /api/rules`, so the two can never disagree. What a schema cannot say (a device exists, a
 * tariff has tiers) is checked by `ruleProblem` in rules.ts.
 */
import { type Static, Type } from 'typebox';

export const RuleScopeSchema = Type.Union(
  [
    Type.Literal('home'),
    Type.Object({ deviceId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  ],
  { description: '"home", or {"deviceId": "dev_..."} for one device' },
);

export const RuleActionSchema = Type.Union(
  [
    Type.Object({ kind: Type.Literal('alert') }, { additionalProperties: false }),
    Type.Object(
      {
        kind: Type.Literal('intent'),
        payeeId: Type.String({ minLength: 1, maxLength: 64, description: 'e.g. the utility, sgcc_beijing' }),
        payeeName: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 100,
            description: 'shown on the phone; the payeeId if absent',
          }),
        ),
        amount: Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'minor units' }),
      },
      { additionalProperties: false },
    ),
  ],
  {
    description:
      '{"kind": "alert"}, or {"kind": "intent", "payeeId", "amount"}: a payment intent the phone must approve',
  },
);

export const RuleSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    scope: RuleScopeSchema,
    period: Type.Enum(['day', 'week', 'month', 'cycle'], {
      description: 'local day, ISO week, calendar month, or the tariff billing cycle',
    }),
    metric: Type.Enum(['spend', 'energy', 'projectedSpend', 'tierRemaining'], {
      description:
        'spend and projectedSpend in minor units; energy in Wh; tierRemaining: Wh left before the next tier (home, cycle)',
    }),
    threshold: Type.Integer({ minimum: 0, maximum: 1_000_000_000_000 }),
    action: RuleActionSchema,
  },
  { additionalProperties: false },
);

export type RuleInput = Static<typeof RuleSchema>;
