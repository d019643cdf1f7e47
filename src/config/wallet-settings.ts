import { Type } from 'typebox';

/**
 * The `wallet` section of the settings (issue 7), kept beside the one schema in schema.ts that
 * includes it: points, offers, budgets, anomaly rules and merchant webhooks.
 */

const strict = { additionalProperties: false, default: {} } as const;

const HHMM = '^([01][0-9]|2[0-3]):[0-5][0-9]$';

/** The household wallet beyond paying one intent (issue 7): points, offers, budgets, anomaly rules. */
export const WalletSettings = Type.Object(
  {
    timezone: Type.String({
      default: 'Asia/Shanghai',
      description: 'IANA time zone of the household: months, budgets, insights and "night" are local',
    }),
    offers: Type.String({
      default: 'config/offers.yaml',
      description: 'Ecosystem offers file; a missing file at the default path means no offers',
    }),
    points: Type.Object(
      {
        rates: Type.Record(
          Type.String({ pattern: '^[a-z][a-z0-9_-]*$' }),
          Type.Number({ minimum: 0, maximum: 100 }),
          {
            default: { default: 1 },
            description: 'Points earned per yuan paid, by category; `default` for every other category',
          },
        ),
        redeemValue: Type.Integer({
          minimum: 1,
          default: 1,
          description: 'What one point is worth when redeemed, in minor units (1 = 100 points per yuan)',
        }),
        maxRedeemPercent: Type.Integer({
          minimum: 0,
          maximum: 100,
          default: 50,
          description: 'At most this share of an order may be paid with points',
        }),
        autoRedeem: Type.Boolean({
          default: false,
          description:
            'Redeem as many points as allowed on every priced order unless the caller says otherwise',
        }),
      },
      strict,
    ),
    budgets: Type.Object(
      {
        alertPercents: Type.Array(Type.Integer({ minimum: 1, maximum: 1000 }), {
          default: [80, 100],
          minItems: 1,
          description: "Alert when a month's spending in a category reaches these percentages of its budget",
        }),
        monthly: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_-]*$' }), Type.Integer({ minimum: 1 }), {
          default: {},
          description:
            'Budgets per category for every month (minor units); the API can set and override them',
        }),
      },
      strict,
    ),
    anomaly: Type.Object(
      {
        amountSpike: Type.Object(
          {
            enabled: Type.Boolean({
              default: true,
              description: "Mark an amount far above the category's history",
            }),
            multiple: Type.Number({
              minimum: 1,
              default: 3,
              description: "Marked when the amount is above this multiple of the category's average payment",
            }),
            minHistory: Type.Integer({
              minimum: 1,
              default: 3,
              description: 'Past payments in the category needed before the rule applies',
            }),
            lookbackDays: Type.Integer({
              minimum: 1,
              default: 90,
              description: 'How far back the history goes',
            }),
          },
          strict,
        ),
        burst: Type.Object(
          {
            enabled: Type.Boolean({
              default: true,
              description: 'Mark an intent that follows many others quickly',
            }),
            maxIntents: Type.Integer({
              minimum: 1,
              default: 5,
              description: 'Marked when this many intents were already created within the window',
            }),
            windowMinutes: Type.Integer({ minimum: 1, default: 10, description: 'The window, in minutes' }),
          },
          strict,
        ),
        newPayeeAtNight: Type.Object(
          {
            enabled: Type.Boolean({ default: true, description: 'Mark a first payment to a payee at night' }),
            from: Type.String({ pattern: HHMM, default: '23:00', description: 'Night starts (local time)' }),
            to: Type.String({ pattern: HHMM, default: '06:00', description: 'Night ends (local time)' }),
          },
          strict,
        ),
      },
      strict,
    ),
    webhooks: Type.Object(
      {
        timeoutMs: Type.Integer({
          minimum: 100,
          default: 10_000,
          description: 'How long a merchant webhook may take to answer',
        }),
        retryHours: Type.Integer({
          minimum: 1,
          default: 72,
          description: 'Undelivered webhooks are retried with backoff for this long, then given up',
        }),
      },
      strict,
    ),
  },
  strict,
);
