import { Type } from 'typebox';

/** A credential the browser may use or must not register again: its id and transports only. */
export const AllowCredential = Type.Object({
  id: Type.String(),
  type: Type.String({ description: 'public-key' }),
  transports: Type.Optional(Type.Array(Type.String())),
});

/** The options for `navigator.credentials.create`, key by key (nested values as WebAuthn defines them). */
export const RegistrationOptions = Type.Object({
  challenge: Type.String(),
  rp: Type.Object({ name: Type.String(), id: Type.Optional(Type.String()) }),
  user: Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String() }),
  pubKeyCredParams: Type.Array(Type.Object({ type: Type.String(), alg: Type.Integer() })),
  timeout: Type.Optional(Type.Integer()),
  excludeCredentials: Type.Optional(Type.Array(AllowCredential)),
  authenticatorSelection: Type.Optional(
    Type.Object({
      authenticatorAttachment: Type.Optional(Type.String()),
      residentKey: Type.Optional(Type.String()),
      requireResidentKey: Type.Optional(Type.Boolean()),
      userVerification: Type.Optional(Type.String()),
    }),
  ),
  attestation: Type.Optional(Type.String()),
  hints: Type.Optional(Type.Array(Type.String())),
  extensions: Type.Optional(Type.Object({ credProps: Type.Optional(Type.Boolean()) })),
});

/** The options for `navigator.credentials.get`. */
export const AuthenticationOptions = Type.Object({
  challenge: Type.String(),
  rpId: Type.Optional(Type.String()),
  timeout: Type.Optional(Type.Integer()),
  allowCredentials: Type.Optional(Type.Array(AllowCredential)),
  userVerification: Type.Optional(Type.String()),
  hints: Type.Optional(Type.Array(Type.String())),
});

/** The browser's answer to registration options, and the name a person gives the credential. */
export const RegisterBody = Type.Object(
  {
    response: Type.Object({}, { additionalProperties: true, description: 'startRegistration() result' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);
