import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { HubError } from '../../../errors.js';
import { validateIdempotencyKey } from '../../../payments/idempotency.js';
import { transactionsCsv } from '../../../wallet/transactions-csv.js';
import { allow } from '../../plugins/auth.js';
import { commonErrors, IdParams } from '../../schemas/common.js';
import { IdempotencyHeaders } from '../../schemas/intents.js';
import {
  RefundBody,
  ReportBody,
  ReportResponse,
  TransactionListQuery,
  TransactionPage,
  TransactionRecordResponse,
} from '../../schemas/wallet.js';
import type { ApiServices } from '../../services.js';
import { idempotencyScope } from '../intents/index.js';

/** A CSV export holds at most this many rows; narrow the time range for more. */
const CSV_MAX_ROWS = 10_000;

export const transactionRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (
  app,
  { services },
) => {
  const { wallet } = services;

  app.get(
    '/api/transactions',
    {
      schema: {
        summary: 'Transaction records, newest first; CSV with Accept: text/csv',
        tags: ['wallet'],
        querystring: TransactionListQuery,
        response: { 200: TransactionPage, ...commonErrors },
      },
    },
    async (request, reply) => {
      allow(request, 'admin', 'phone');
      const { limit, lang, ...filter } = request.query;
      if (filter.from && filter.to && Date.parse(filter.from) >= Date.parse(filter.to)) {
        throw new HubError('invalid_request', 'from must be before to');
      }
      const wantsCsv = /\btext\/csv\b/.test(request.headers.accept ?? '');
      const page = wallet.records.list({
        ...filter,
        limit: wantsCsv ? CSV_MAX_ROWS : Math.min(Number(limit ?? 50), 500),
      });
      if (!wantsCsv) return { transactions: page.records, nextCursor: page.nextCursor };
      const csv = transactionsCsv(page.records, wallet.timeZone, lang ?? 'zh');
      // The response schema describes the JSON form; a Buffer is sent as it is, past the serializer.
      const untyped: FastifyReply = reply;
      return untyped
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="homepay-transactions.csv"')
        .send(Buffer.from(csv, 'utf8'));
    },
  );

  app.get(
    '/api/transactions/:id',
    {
      schema: {
        tags: ['wallet'],
        params: IdParams,
        response: { 200: TransactionRecordResponse, ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin', 'phone');
      return wallet.records.require(request.params.id);
    },
  );

  app.post(
    '/api/transactions/:id/refund',
    {
      schema: {
        summary: 'Refund a payment in full or in part: a reversing ledger transaction, never an edit',
        tags: ['wallet'],
        params: IdParams,
        headers: IdempotencyHeaders,
        body: RefundBody,
        response: { 200: TransactionRecordResponse, 201: TransactionRecordResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      const principal = allow(request, 'admin', 'merchant');
      const key = validateIdempotencyKey(request.headers['idempotency-key']);
      const { refund, created } = wallet.refunds.refund(
        { transactionId: request.params.id, ...request.body },
        { scope: idempotencyScope(principal), key },
        (payment) => {
          // A merchant refunds only what was paid to it through its own API.
          if (
            principal.kind === 'merchant' &&
            (payment.sourceKind !== 'merchant' || payment.payee?.id !== principal.merchantId)
          ) {
            throw new HubError('transaction_not_found', `No transaction with id ${payment.id}`);
          }
        },
      );
      return reply.status(created ? 201 : 200).send(refund);
    },
  );

  app.post(
    '/api/transactions/:id/report',
    {
      schema: {
        summary:
          'Report a transaction as suspicious; its funding source is frozen until the admin releases it',
        tags: ['wallet'],
        params: IdParams,
        body: ReportBody,
        response: { 201: ReportResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      const principal = allow(request, 'admin', 'phone');
      const by = principal.kind === 'phone' ? `phone:${principal.phoneId}` : 'admin';
      const report = wallet.report(request.params.id, request.body?.reason ?? 'reported as suspicious', by);
      return reply.status(201).send(report);
    },
  );
};
