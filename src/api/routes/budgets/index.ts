import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { HubError } from '../../../errors.js';
import { allow } from '../../plugins/auth.js';
import { commonErrors } from '../../schemas/common.js';
import {
  BudgetBody,
  BudgetResponse,
  BudgetStatusResponse,
  CategoryParams,
  InsightsQuery,
  InsightsResponse,
  MonthQuery,
} from '../../schemas/wallet.js';
import type { ApiServices } from '../../services.js';

/** Budgets per category and month, and spending insights. */
export const budgetRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (
  app,
  { services },
) => {
  const { wallet } = services;
  const thisMonth = () => wallet.currentMonth();

  app.get(
    '/api/budgets',
    {
      schema: {
        summary: 'Budgets that apply in a month (this month by default), with spending and alerts sent',
        tags: ['wallet'],
        querystring: MonthQuery,
        response: { 200: Type.Array(BudgetStatusResponse), ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin', 'phone');
      return wallet.budgets.status(request.query.month ?? thisMonth());
    },
  );

  app.put(
    '/api/budgets/:category',
    {
      schema: {
        summary: 'Set a category budget for every month, or for one month with `month`',
        tags: ['wallet'],
        params: CategoryParams,
        body: BudgetBody,
        response: { 200: BudgetResponse, ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin');
      const budget = wallet.budgets.set({ category: request.params.category, ...request.body });
      // A budget lowered below what is already spent alerts now, not at the next payment.
      wallet.checkBudget(budget.category, budget.month === '*' ? thisMonth() : budget.month);
      return budget;
    },
  );

  app.delete(
    '/api/budgets/:category',
    {
      schema: {
        tags: ['wallet'],
        params: CategoryParams,
        querystring: MonthQuery,
        response: { 204: Type.Null(), ...commonErrors },
      },
    },
    async (request, reply) => {
      allow(request, 'admin');
      if (!wallet.budgets.remove(request.params.category, request.query.month ?? '*')) {
        throw new HubError('not_found', `No budget for ${request.params.category}`);
      }
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/insights',
    {
      schema: {
        summary: 'Spending per category for a month, its forecast and plain-language observations',
        tags: ['wallet'],
        querystring: InsightsQuery,
        response: { 200: InsightsResponse, ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin', 'phone');
      return wallet.insights.forMonth(request.query.month ?? thisMonth(), request.query.lang ?? 'zh');
    },
  );
};
