import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { HubError } from '../../../errors.js';
import { allow } from '../../plugins/auth.js';
import { commonErrors, IdParams } from '../../schemas/common.js';
import { OrderListQuery, OrderResponse } from '../../schemas/orders.js';
import type { ApiServices } from '../../services.js';

/** Voice orders, newest first (admin, phone): what each speaker asked for and how it ended. */
export const orderRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (
  app,
  { services },
) => {
  const { orders } = services;

  app.get(
    '/api/orders',
    {
      schema: {
        tags: ['orders'],
        querystring: OrderListQuery,
        response: { 200: Type.Array(OrderResponse), ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin', 'phone');
      const { deviceId, limit } = request.query;
      return orders.list({
        ...(deviceId === undefined ? {} : { deviceId }),
        ...(limit === undefined ? {} : { limit: Number(limit) }),
      });
    },
  );

  app.get(
    '/api/orders/:id',
    { schema: { tags: ['orders'], params: IdParams, response: { 200: OrderResponse, ...commonErrors } } },
    async (request) => {
      allow(request, 'admin', 'phone');
      const order = orders.get(request.params.id);
      if (!order) throw new HubError('order_not_found', `No order with id ${request.params.id}`);
      return order;
    },
  );
};
