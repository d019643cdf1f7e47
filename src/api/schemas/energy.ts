import { Type } from 'typebox';
import { RuleActionSchema, RuleSchema, RuleScopeSchema } from '../../energy/rule-schema.js';

export const NewRuleBody = RuleSchema;

export const RuleResponse = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    scope: RuleScopeSchema,
    period: Type.Enum(['day', 'week', 'month', 'cycle']),
    metric: Type.Enum(['spend', 'energy', 'projectedSpend', 'tierRemaining']),
    threshold: Type.Integer(),
    action: RuleActionSchema,
    origin: Type.Enum(['api', 'config'], { description: 'config rules are changed in the settings file' }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { description: 'A threshold rule (SPEC "Energy spend")' },
);

export const AlertResponse = Type.Object(
  {
    id: Type.String(),
    ruleId: Type.String(),
    name: Type.String(),
    metric: Type.Enum(['spend', 'energy', 'projectedSpend', 'tierRemaining']),
    value: Type.Number({ description: 'minor units for spend metrics, Wh for energy metrics' }),
    threshold: Type.Integer(),
    period: Type.Enum(['day', 'week', 'month', 'cycle']),
    periodStart: Type.String({ description: 'first local date of the period, YYYY-MM-DD' }),
    deviceId: Type.Optional(Type.String()),
    ts: Type.String({ format: 'date-time' }),
    intentId: Type.Optional(Type.String({ description: 'the payment intent an intent action asked for' })),
  },
  { description: 'One rule crossing, as published on homepay/alert/{ruleId}' },
);

export const AlertListQuery = Type.Object(
  {
    ruleId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'alerts at or after this time' })),
    limit: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,4}$', description: 'at most this many, newest first' }),
    ),
  },
  { additionalProperties: false },
);

/** A metered device's energy state: the payload of homepay/energy/{deviceId}/state. */
export const DeviceEnergyState = Type.Object(
  {
    powerW: Type.Union([Type.Number(), Type.Null()], { description: 'latest reported power; null if none' }),
    todayWh: Type.Number(),
    todayCost: Type.Integer({ description: 'minor units' }),
    monthWh: Type.Number(),
    monthCost: Type.Integer({ description: 'minor units' }),
    currency: Type.String(),
    ts: Type.String({ format: 'date-time' }),
    energySource: Type.Enum(['counter', 'integrated'], {
      description: "counter: the device's energy counter; integrated: it reports only power",
    }),
    todayStart: Type.String({ format: 'date-time' }),
    monthStart: Type.String({ format: 'date-time' }),
    lastReadingAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { description: 'Energy today and this month, in the tariff time zone' },
);

const PeriodTotal = Type.Object({
  start: Type.String(),
  energyWh: Type.Number(),
  cost: Type.Integer({ description: 'minor units' }),
});

export const HomeEnergyResponse = Type.Object(
  {
    currency: Type.String(),
    tariff: Type.Object({ id: Type.String(), name: Type.String() }),
    ts: Type.String({ format: 'date-time' }),
    day: PeriodTotal,
    week: PeriodTotal,
    month: PeriodTotal,
    cycle: Type.Object({
      ...PeriodTotal.properties,
      end: Type.String(),
      tier: Type.Union([Type.Integer(), Type.Null()]),
      remainingWh: Type.Union([Type.Number(), Type.Null()], { description: 'Wh left before the next tier' }),
    }),
  },
  { description: "The home's energy and spend, with fixed charges, and where it stands in the tiers" },
);
