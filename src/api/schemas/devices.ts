import { Type } from 'typebox';

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
