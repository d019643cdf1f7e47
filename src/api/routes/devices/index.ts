import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { allow } from '../../plugins/auth.js';
import { commonErrors, IdParams } from '../../schemas/common.js';
import { CreatedDevice, Credentials, DeviceResponse, NewDeviceBody } from '../../schemas/devices.js';
import type { ApiServices } from '../../services.js';

export const deviceRoutes: FastifyPluginAsyncTypebox<{ services: ApiServices }> = async (
  app,
  { services },
) => {
  const { registry } = services;

  app.get(
    '/api/devices',
    { schema: { tags: ['devices'], response: { 200: Type.Array(DeviceResponse), ...commonErrors } } },
    async (request) => {
      allow(request, 'admin', 'phone');
      return registry.list();
    },
  );

  app.get(
    '/api/devices/:id',
    { schema: { tags: ['devices'], params: IdParams, response: { 200: DeviceResponse, ...commonErrors } } },
    async (request) => {
      allow(request, 'admin', 'phone');
      return registry.require(request.params.id);
    },
  );

  app.post(
    '/api/devices',
    {
      schema: {
        summary: 'Register a device; its MQTT secret is returned once',
        tags: ['devices'],
        body: NewDeviceBody,
        response: { 201: CreatedDevice, ...commonErrors },
      },
    },
    async (request, reply) => {
      allow(request, 'admin');
      const { device, secret } = await registry.add(request.body);
      return reply.status(201).send({ ...device, mqtt: { username: device.id, password: secret } });
    },
  );

  app.post(
    '/api/devices/:id/rotate',
    {
      schema: {
        summary: 'Give a device a new secret; the old one is refused at once',
        tags: ['devices'],
        params: IdParams,
        response: { 200: Credentials, ...commonErrors },
      },
    },
    async (request) => {
      allow(request, 'admin');
      const password = await registry.rotate(request.params.id);
      return { username: request.params.id, password };
    },
  );

  app.delete(
    '/api/devices/:id',
    { schema: { tags: ['devices'], params: IdParams, response: { 200: DeviceResponse, ...commonErrors } } },
    async (request) => {
      allow(request, 'admin');
      return registry.remove(request.params.id);
    },
  );
};
