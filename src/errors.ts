/**
 * The one catalogue of error codes a client can see, with the HTTP status each maps to. Domains
 * throw `HubError`s with these codes; the API renders them as `{"error": {"code", "message"}}` and
 * the CLI prints the message. Add a code here before using it anywhere.
 */
export const ERROR_CATALOGUE = {
  invalid_request: 400,
  invalid_config: 400,
  unknown_profile: 400,
  invalid_identity: 400,
  identity_taken: 409,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  device_not_found: 404,
  payload_too_large: 413,
  // payments and approvals
  intent_not_found: 404,
  order_not_found: 404,
  intent_not_pending: 409,
  idempotency_key_required: 400,
  idempotency_key_reused: 409,
  insufficient_funds: 402,
  bad_signature: 403,
  challenge_used: 409,
  expired: 410,
  biometric_required: 403,
  biometric_failed: 403,
  webauthn_registration_failed: 400,
  credential_not_found: 404,
  push_subscription_not_found: 404,
  phone_not_paired: 403,
  phone_revoked: 403,
  phone_mismatch: 403,
  phone_not_found: 404,
  invalid_pairing_code: 401,
  invalid_public_key: 400,
  // wallet
  funding_source_not_found: 404,
  funding_source_frozen: 409,
  funding_source_removed: 409,
  invalid_card_number: 400,
  invalid_account: 400,
  transaction_not_found: 404,
  already_reported: 409,
  insufficient_points: 409,
  offer_unavailable: 409,
  goal_not_found: 404,
  invalid_qr: 400,
  qr_crc_mismatch: 400,
  unsupported_currency: 400,
  merchant_not_found: 404,
  // energy
  rule_not_found: 404,
  rule_in_config: 409,
  rate_limited: 429,
  // admin login
  login_failed: 401,
  account_locked: 429,
  csrf_failed: 403,
  no_security_key: 409,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class HubError extends Error {
  override name = 'HubError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.status = ERROR_CATALOGUE[code];
  }
}
