import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { allow } from '../../plugins/auth.js';
import { commonErrors, IdParams } from '../../schemas/common.js';
import {
  AlertListQuery,
  AlertResponse,
  HomeEnergyResponse,
  NewRuleBody,
  RuleResponse,
} from '../../schemas/energy.js';
import type { ApiServices } from '../../services.js';

/** Energy spend over HTTP: threshold rules, the alerts they raised, and the home's totals. */
export const ruleRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (app, { services }) => {
  const { energy } = services;

  app.post(
    '/api/rules',
    {
      schema: {
        summary: 'Create a threshold rule: an alert or a phone-approved intent when it is crossed',
        tags: ['energy'],
        body: NewRuleBody,
        response: { 201: RuleResponse, ...commonErrors },
      },
    },
    async (request, reply) => {
      allow(request, 'admin');
      return reply.status(201).send(energy.createRule(request.body));
    },
  );

  app.get(
    '/api/rules',
    { schema: { tags: ['energy'], response: { 200: Type.Array(RuleResponse), ...commonErrors } } },
    async (request) => {
      allow(request, 'admin', 'phone');
      return energy.listRules();
    },
  );

  app.get(
    '/api/rules/:id',
    { schema: { tags: ['energy'], params: IdParams, response: { 200: RuleResponse, ...commonErrors } } },
    async (request) => {
      allow(request, 'admin', 'phone');
      return energy.rule(request.params.id);
    },
  );

  app.delete(
    '/api/rules/:id',
    { schema: { tags: ['energy'], params: IdParams, response: { 200: RuleResponse, ...commonErrors } } },
    async (request) => {
      allow(request, 'admin');
      return energy.deleteRule(request.params.id);
    },
  );

  app.get(
    '/api/alerts',
    {
      schema: {
        summary: 'Alerts raised by threshold rules, newest first',
        tags: ['energy'],
        querystring: AlertListQuery,
        response: { 200: Type.Array(AlertResponse), ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin', 'phone');
      const { ruleId, since, limit } = request.query;
      // Stored times are toISOString() text; a `since` without milliseconds must compare the same way.
      const from = since === undefined ? undefined : new Date(since).toISOString();
      return energy.listAlerts({ ruleId, since: from, limit: limit ? Math.min(Number(limit), 500) : 100 });
    },
  );

  app.get(
    '/api/energy',
    {
      schema: {
        summary: "The home's energy and spend today, this week, month and billing cycle",
        tags: ['energy'],
        response: { 200: HomeEnergyResponse, ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin', 'phone');
      return energy.homeState();
    },
  );
};
