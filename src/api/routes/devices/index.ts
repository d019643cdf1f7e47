import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { HubError } from '../../../errors.js';
import { allow } from '../../plugins/auth.js';
import { commonErrors, IdParams } from '../../schemas/common.js';
import {
  CreatedDevice,
  Credentials,
  DeviceCertificate,
  DeviceResponse,
  NewDeviceBody,
} from '../../schemas/devices.js';
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
      // Meters carry their latest power in the list; the full energy state is on GET /api/devices/{id}.
      return registry.list().map((device) => {
        const energy = services.energy.deviceState(device.id);
        return energy ? { ...device, powerW: energy.powerW } : device;
      });
    },
  );

  app.get(
    '/api/devices/:id',
    { schema: { tags: ['devices'], params: IdParams, response: { 200: DeviceResponse, ...commonErrors } } },
    async (request) => {
      allow(request, 'admin', 'phone');
      const device = registry.require(request.params.id);
      const energy = services.energy.deviceState(device.id);
      return energy ? { ...device, energy } : device;
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

  app.post(
    '/api/devices/:id/certificate',
    {
      schema: {
        summary:
          'A client certificate for MQTT over TLS (CN = device id); the key is shown once. Rotating the secret revokes it',
        tags: ['devices'],
        params: IdParams,
        response: { 201: DeviceCertificate, ...commonErrors },
      },
    },
    async (request, reply) => {
      allow(request, 'admin');
      const device = registry.require(request.params.id);
      if (device.parentId)
        throw new HubError('invalid_request', 'A bridge child has no MQTT client of its own');
      if (!services.tls) throw new HubError('invalid_request', 'TLS is off on this hub (tls.enabled: false)');
      const issued = await services.tls.issueDeviceCertificate(device.id);
      registry.recordCertificate(device.id, issued.serial);
      return reply.status(201).send({
        certificate: issued.certPem,
        privateKey: issued.keyPem,
        caCertificate: services.tls.caCertPem,
      });
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
