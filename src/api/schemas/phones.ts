import { Type } from 'typebox';

export const PairingResponse = Type.Object({
  code: Type.String({ description: 'single use, 10 minutes, 5 wrong tries' }),
  url: Type.String({ description: 'open on the phone: /pair?code=...' }),
  expiresAt: Type.String({ format: 'date-time' }),
  caFingerprint: Type.Optional(
    Type.String({ description: "SHA-256 of the hub's CA certificate: compare it before trusting the CA" }),
  ),
});

export const PairBody = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 32 }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    publicKey: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'base64 of the 32-byte Ed25519 public key',
    }),
  },
  { additionalProperties: false },
);

export const PairedResponse = Type.Object({
  phoneId: Type.String(),
  token: Type.String({ description: 'the phone bearer token, shown once' }),
});

export const PhoneResponse = Type.Object({
  id: Type.String(),
  name: Type.String(),
  publicKey: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
