import { Type } from 'typebox';

export const FundingSourceKind = Type.Union([
  Type.Literal('debit_card'),
  Type.Literal('credit_card'),
  Type.Literal('alipay'),
  Type.Literal('wechat_pay'),
]);

/** An allow-list: the provider token and any full number are not here, so they cannot be sent. */
export const FundingSourceResponse = Type.Object(
  {
    id: Type.String(),
    kind: FundingSourceKind,
    bank: Type.Optional(
      Type.Object({
        code: Type.String({ description: 'e.g. ICBC, CMB, UNIONPAY' }),
        name: Type.String({ description: 'e.g. 中国工商银行' }),
        nameEn: Type.String(),
      }),
    ),
    last4: Type.Optional(Type.String({ pattern: '^[0-9]{4}$' })),
    account: Type.Optional(Type.String({ description: 'Masked, e.g. 138****5678 or a***@example.com' })),
    holder: Type.Optional(Type.String()),
    status: Type.Union([Type.Literal('active'), Type.Literal('frozen'), Type.Literal('removed')]),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { description: 'A card or payment account; never its token or full number' },
);

export const NewFundingSourceBody = Type.Object(
  {
    kind: FundingSourceKind,
    number: Type.Optional(
      Type.String({
        minLength: 12,
        maxLength: 40,
        description: 'Cards: spaces and dashes allowed; never stored',
      }),
    ),
    holder: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    account: Type.Optional(
      Type.String({
        minLength: 3,
        maxLength: 254,
        description: 'Alipay / WeChat Pay: mobile number or email',
      }),
    ),
  },
  { additionalProperties: false },
);
