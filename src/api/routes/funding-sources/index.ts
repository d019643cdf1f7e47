import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { FundingSources } from '../../../wallet/funding-sources.js';
import { allow } from '../../plugins/auth.js';
import { commonErrors, IdParams } from '../../schemas/common.js';
import { FundingSourceResponse, NewFundingSourceBody } from '../../schemas/funding-sources.js';

export interface FundingSourceServices {
  fundingSources: FundingSources;
}

export const fundingSourceRoutes: FastifyPluginAsyncTypebox<{ services: FundingSourceServices }> = async (
  app,
  { services },
) => {
  const { fundingSources } = services;

  app.get(
    '/api/funding-sources',
    {
      schema: {
        summary: 'The cards and accounts that can pay (frozen ones included, removed ones not)',
        tags: ['wallet'],
        response: { 200: Type.Array(FundingSourceResponse), ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin', 'phone');
      return fundingSources.list();
    },
  );

  app.get(
    '/api/funding-sources/:id',
    {
      schema: {
        tags: ['wallet'],
        params: IdParams,
        response: { 200: FundingSourceResponse, ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin', 'phone');
      return fundingSources.require(request.params.id);
    },
  );

  app.post(
    '/api/funding-sources',
    {
      schema: {
        summary: 'Add a card (Luhn-checked, tokenized; only the last four digits are kept) or an account',
        tags: ['wallet'],
        body: NewFundingSourceBody,
        response: { 201: FundingSourceResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      allow(request, 'admin');
      return reply.status(201).send(await fundingSources.add(request.body));
    },
  );

  app.delete(
    '/api/funding-sources/:id',
    {
      schema: {
        summary: 'Remove a source; it stays in history but can no longer pay',
        tags: ['wallet'],
        params: IdParams,
        response: { 200: FundingSourceResponse, ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin');
      return fundingSources.remove(request.params.id);
    },
  );

  app.post(
    '/api/funding-sources/:id/release',
    {
      schema: {
        summary: 'Un-freeze a source frozen after a report',
        tags: ['wallet'],
        params: IdParams,
        response: { 200: FundingSourceResponse, ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin');
      return fundingSources.release(request.params.id);
    },
  );
};
