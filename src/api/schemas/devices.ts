import { Type } from 'typebox';
import { DeviceEnergyState } from './energy.js';

export const DeviceResponse = Type.Object(
  {
    id: Type.String(),
    profile: Type.String(),
    name: Type.String(),
    identity: Type.String(),
    parentId: Type.Union([Type.String(), Type.Null()]),
    online: Type.Boolean(),
    lastSeen: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    powerW: Type.Optional(
      Type.Union([Type.Number(), Type.Null()], { description: 'A metered device: its latest power (W)' }),
    ),
    energy: Type.Optional(DeviceEnergyState),
  },
  { description: 'A device; never its secret' },
);

export const NewDeviceBody = Type.Object(
  {
    profile: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    identity: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);

export const Credentials = Type.Object({
  username: Type.String(),
  password: Type.String({ description: 'Shown once; only its hash is stored' }),
});

export const CreatedDevice = Type.Object({
  ...DeviceResponse.properties,
  mqtt: Credentials,
});

export const DeviceCertificate = Type.Object({
  certificate: Type.String({ description: 'PEM, CN = device id, signed by the hub CA' }),
  privateKey: Type.String({ description: 'PEM; shown once, not kept by the hub' }),
  caCertificate: Type.String({ description: "PEM of the hub's CA, to verify the hub" }),
});
