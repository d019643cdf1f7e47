import { Type } from 'typebox';

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'snake_case error code, stable for clients' }),
      message: Type.String({ description: 'What went wrong, for a person' }),
    }),
  },
  { $id: 'ErrorResponse' },
);

/** The error responses every authenticated route can give, merged into each route's `response`. */
export const commonErrors = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  500: ErrorResponse,
};

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
