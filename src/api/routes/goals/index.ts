import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { allow } from '../../plugins/auth.js';
import { commonErrors, ErrorResponse, IdParams } from '../../schemas/common.js';
import { GoalResponse, GoalTransferBody, NewGoalBody } from '../../schemas/wallet.js';
import type { ApiServices } from '../../services.js';

/**
 * Savings goals. Moving money between the wallet and a goal stays inside the household, so it
 * needs no phone approval, only an admin or a paired phone.
 */
export const goalRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (app, { services }) => {
  const { goals } = services.wallet;

  app.get(
    '/api/goals',
    { schema: { tags: ['wallet'], response: { 200: Type.Array(GoalResponse), ...commonErrors } } },
    async (request) => {
      allow(request, 'admin', 'phone');
      return goals.list();
    },
  );

  app.post(
    '/api/goals',
    {
      schema: {
        summary: 'Create a savings goal, optionally with a round-up rule',
        tags: ['wallet'],
        body: NewGoalBody,
        response: { 201: GoalResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      allow(request, 'admin', 'phone');
      return reply.status(201).send(goals.create(request.body));
    },
  );

  app.get(
    '/api/goals/:id',
    { schema: { tags: ['wallet'], params: IdParams, response: { 200: GoalResponse, ...commonErrors } } },
    async (request) => {
      allow(request, 'admin', 'phone');
      return goals.require(request.params.id);
    },
  );

  app.post(
    '/api/goals/:id/transfers',
    {
      schema: {
        summary: 'Move money from the wallet into the goal (direction in) or back (out)',
        tags: ['wallet'],
        params: IdParams,
        body: GoalTransferBody,
        response: { 200: GoalResponse, 402: ErrorResponse, ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin', 'phone');
      return goals.transfer(request.params.id, request.body.amount, request.body.direction ?? 'in');
    },
  );

  app.delete(
    '/api/goals/:id',
    {
      schema: {
        summary: 'Close a goal; what it holds goes back to the wallet',
        tags: ['wallet'],
        params: IdParams,
        response: { 200: GoalResponse, ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin', 'phone');
      return goals.close(request.params.id);
    },
  );
};
