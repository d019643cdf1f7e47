import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { validateIdempotencyKey } from '../../../payments/idempotency.js';
import { WALLET_ACCOUNT } from '../../../wallet/ledger.js';
import { allow } from '../../plugins/auth.js';
import { commonErrors, ErrorResponse } from '../../schemas/common.js';
import { FundingSourceResponse } from '../../schemas/funding-sources.js';
import { Amount, IdempotencyHeaders, IntentResponse } from '../../schemas/intents.js';
import type { ApiServices } from '../../services.js';
import { idempotencyScope } from '../intents/index.js';

const WalletResponse = Type.Object({
  balance: Type.Integer({ description: 'minor units, from the ledger postings' }),
  held: Type.Integer({ description: 'reserved by intents waiting for approval or settlement' }),
  available: Type.Integer(),
  currency: Type.String(),
  points: Type.Integer(),
  fundingSources: Type.Array(FundingSourceResponse),
});

const MoveBody = Type.Object(
  { amount: Amount, fundingSourceId: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

export const walletRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (
  app,
  { services },
) => {
  const { ledger, intents, fundingSources } = services;

  app.get(
    '/api/wallet',
    { schema: { tags: ['wallet'], response: { 200: WalletResponse, ...commonErrors } } },
    async (request) => {
      allow(request, 'admin', 'phone');
      return {
        balance: ledger.balance(WALLET_ACCOUNT),
        held: ledger.held(WALLET_ACCOUNT),
        available: ledger.available(WALLET_ACCOUNT),
        currency: ledger.currency,
        points: services.wallet.points.balance(),
        fundingSources: fundingSources.list().filter((source) => source.status !== 'removed'),
      };
    },
  );

  for (const [path, kind] of [
    ['/api/wallet/topups', 'topup'],
    ['/api/wallet/withdrawals', 'withdrawal'],
  ] as const) {
    app.post(
      path,
      {
        schema: {
          summary:
            kind === 'topup'
              ? 'Top up the wallet from a card or account (an intent the phone approves)'
              : 'Withdraw from the wallet to a debit card (an intent the phone approves)',
          tags: ['wallet'],
          headers: IdempotencyHeaders,
          body: MoveBody,
          response: { 200: IntentResponse, 201: IntentResponse, 402: ErrorResponse, ...commonErrors },
        },
      },
      async (request, reply) => {
        const principal = allow(request, 'admin', 'phone');
        const key = validateIdempotencyKey(request.headers['idempotency-key']);
        const source = fundingSources.require(request.body.fundingSourceId);
        const label = source.last4 ? `${source.bank?.name ?? source.kind} ****${source.last4}` : source.kind;
        const { intent, created } = intents.create(
          {
            amount: request.body.amount,
            payee:
              kind === 'topup'
                ? { id: 'wallet', name: 'Household wallet' }
                : { id: `funding:${source.id}`, name: label },
            description: kind === 'topup' ? `Top-up from ${label}` : `Withdrawal to ${label}`,
            source: { kind },
            fundingSourceId: source.id,
          },
          { scope: `${idempotencyScope(principal)}:${kind}`, key },
        );
        return reply.status(created ? 201 : 200).send(intent);
      },
    );
  }
};
