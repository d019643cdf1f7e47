import { Type } from 'typebox';
import { SOURCE_KINDS } from '../../payments/intent.js';
import { RECORD_KINDS } from '../../wallet/transaction-records.js';
import { FundingSourceResponse } from './funding-sources.js';
import { Amount } from './intents.js';

/** Schemas of the wallet routes (transactions, refunds, reports, points, offers, budgets, goals, insights). */

const Category = Type.String({ pattern: '^[a-z][a-z0-9_-]*$', maxLength: 40 });
// Years from 1970: month arithmetic (src/wallet/calendar.ts) writes years as plain numbers and
// `Date.UTC` reads 0-99 as 1900-1999, so "0000-10" used to end in a 500 (issue 10's API fuzz).
const MonthKey = Type.String({
  pattern: '^(19[7-9]\\d|[2-9]\\d{3})-(0[1-9]|1[0-2])$',
  description: 'YYYY-MM, local, from 1970',
});
const Limit = Type.String({ pattern: '^[0-9]{1,4}$', description: 'at most this many' });

export const TransactionRecordResponse = Type.Object({
  id: Type.String(),
  kind: Type.Enum([...RECORD_KINDS]),
  amount: Type.Integer({ description: 'minor units moved, always positive' }),
  direction: Type.Enum(['out', 'in', 'internal']),
  currency: Type.String(),
  category: Type.String(),
  payee: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
  description: Type.String(),
  intentId: Type.Union([Type.String(), Type.Null()]),
  reverses: Type.Union([Type.String(), Type.Null()]),
  deviceId: Type.Union([Type.String(), Type.Null()]),
  sourceKind: Type.Union([Type.String(), Type.Null()]),
  fundingSourceId: Type.Union([Type.String(), Type.Null()]),
  refunded: Type.Integer(),
  reportedAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

export const TransactionListQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time', description: 'from this instant (inclusive)' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'before this instant' })),
    category: Type.Optional(Category),
    payeeId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    sourceKind: Type.Optional(Type.Enum([...SOURCE_KINDS])),
    kind: Type.Optional(Type.Enum([...RECORD_KINDS])),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    lang: Type.Optional(Type.Enum(['zh', 'en'], { description: 'CSV headers; zh by default' })),
  },
  { additionalProperties: false },
);

export const TransactionPage = Type.Object({
  transactions: Type.Array(TransactionRecordResponse),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const RefundBody = Type.Object(
  {
    amount: Type.Optional(Amount),
    reason: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

export const ReportBody = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) },
  { additionalProperties: false },
);

export const ReportResponse = Type.Object({
  transactionId: Type.String(),
  reason: Type.String(),
  reportedBy: Type.String(),
  reportedAt: Type.String({ format: 'date-time' }),
  fundingSource: Type.Union([FundingSourceResponse, Type.Null()]),
});

export const PointsResponse = Type.Object({
  balance: Type.Integer(),
  redeemValue: Type.Integer({ description: 'minor units one point is worth when redeemed' }),
  history: Type.Array(
    Type.Object({
      id: Type.Integer(),
      kind: Type.Enum(['earned', 'redeemed', 'restored', 'reversed']),
      points: Type.Integer(),
      intentId: Type.Union([Type.String(), Type.Null()]),
      transactionId: Type.Union([Type.String(), Type.Null()]),
      description: Type.String(),
      createdAt: Type.String({ format: 'date-time' }),
    }),
  ),
  nextBefore: Type.Union([Type.Integer(), Type.Null()]),
});

export const PointsQuery = Type.Object(
  { limit: Type.Optional(Limit), before: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })) },
  { additionalProperties: false },
);

export const OfferResponse = Type.Object({
  id: Type.String(),
  name: Type.String(),
  match: Type.Object({
    skus: Type.Optional(Type.Array(Type.String())),
    merchants: Type.Optional(Type.Array(Type.String())),
    categories: Type.Optional(Type.Array(Type.String())),
  }),
  discount: Type.Union([Type.Object({ percent: Type.Integer() }), Type.Object({ amount: Type.Integer() })]),
  starts: Type.Optional(Type.String()),
  ends: Type.Optional(Type.String()),
  quantity: Type.Optional(Type.Integer()),
  perOrder: Type.Optional(Type.Integer()),
  remaining: Type.Union([Type.Integer(), Type.Null()], { description: 'units left; null when unlimited' }),
  active: Type.Boolean(),
});

export const BudgetBody = Type.Object(
  {
    amount: Amount,
    month: Type.Optional(MonthKey),
    alertPercents: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 1000 }), { minItems: 1, maxItems: 10 }),
    ),
  },
  { additionalProperties: false },
);

export const BudgetResponse = Type.Object({
  category: Type.String(),
  month: Type.String({ description: 'YYYY-MM, or * for every month' }),
  amount: Type.Integer(),
  alertPercents: Type.Array(Type.Integer()),
  origin: Type.Enum(['api', 'config']),
});

export const BudgetStatusResponse = Type.Object({
  ...BudgetResponse.properties,
  forMonth: Type.String(),
  spent: Type.Integer(),
  remaining: Type.Integer(),
  percentUsed: Type.Integer(),
  alertsSent: Type.Array(Type.Integer()),
});

export const MonthQuery = Type.Object({ month: Type.Optional(MonthKey) }, { additionalProperties: false });
export const CategoryParams = Type.Object({ category: Category });

export const InsightsQuery = Type.Object(
  { month: Type.Optional(MonthKey), lang: Type.Optional(Type.Enum(['zh', 'en'])) },
  { additionalProperties: false },
);

export const InsightsResponse = Type.Object({
  month: Type.String(),
  lang: Type.String(),
  partial: Type.Boolean(),
  spent: Type.Integer(),
  forecast: Type.Integer(),
  categories: Type.Array(
    Type.Object({
      category: Type.String(),
      name: Type.String(),
      spent: Type.Integer(),
      forecast: Type.Integer(),
      threeMonthAverage: Type.Integer(),
      changePercent: Type.Union([Type.Integer(), Type.Null()]),
    }),
  ),
  observations: Type.Array(Type.String()),
});

export const NewGoalBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 60 }),
    target: Amount,
    targetDate: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
    roundUpTo: Type.Optional(
      Type.Integer({ minimum: 2, maximum: 100_000, description: 'round payments up to a multiple of this' }),
    ),
  },
  { additionalProperties: false },
);

export const GoalTransferBody = Type.Object(
  {
    amount: Amount,
    direction: Type.Optional(Type.Enum(['in', 'out'], { description: 'in (default) saves' })),
  },
  { additionalProperties: false },
);

export const GoalResponse = Type.Object({
  id: Type.String(),
  name: Type.String(),
  target: Type.Integer(),
  targetDate: Type.String(),
  roundUpTo: Type.Union([Type.Integer(), Type.Null()]),
  status: Type.Enum(['active', 'closed']),
  saved: Type.Integer(),
  percent: Type.Integer(),
  monthlyNeeded: Type.Integer(),
  reached: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});
