import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { allow } from '../../plugins/auth.js';
import { commonErrors } from '../../schemas/common.js';
import { OfferResponse, PointsQuery, PointsResponse } from '../../schemas/wallet.js';
import type { ApiServices } from '../../services.js';

/** The points balance and history, and the ecosystem offers with what is left of them. */
export const pointsRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (
  app,
  { services },
) => {
  const { wallet } = services;

  app.get(
    '/api/points',
    {
      schema: {
        summary: 'Points balance and history, newest first',
        tags: ['wallet'],
        querystring: PointsQuery,
        response: { 200: PointsResponse, ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin', 'phone');
      const limit = Math.min(Number(request.query.limit ?? 50), 500);
      const history = wallet.points.history({
        limit,
        ...(request.query.before ? { before: Number(request.query.before) } : {}),
      });
      const last = history[history.length - 1];
      return {
        balance: wallet.points.balance(),
        redeemValue: wallet.points.settings.redeemValue,
        history,
        nextBefore: history.length === limit && last ? last.id : null,
      };
    },
  );

  app.get(
    '/api/offers',
    {
      schema: {
        summary: 'Ecosystem offers (config/offers.yaml) with the units left',
        tags: ['wallet'],
        response: { 200: Type.Array(OfferResponse), ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin', 'phone');
      return wallet.offerList();
    },
  );
};
