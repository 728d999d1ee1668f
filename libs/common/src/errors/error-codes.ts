/**
 * Every error the public API can return, with its HTTP status. The code is the
 * stable contract: it survives the RabbitMQ boundary and reaches the client in
 * `{"error":{"code":"...","message":"..."}}`. Add a code here before using it.
 */
export const ERROR_STATUS = {
  // generic
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  upstream_timeout: 504,
  service_unavailable: 503,
  // phone numbers and agents
  invalid_phone_format: 400,
  invalid_twilio_sid: 400,
  twilio_auth_failed: 400,
  twilio_number_not_found: 404,
  twilio_unavailable: 502,
  agent_not_found: 404,
  agent_not_owned: 403,
  agent_has_numbers: 409,
  number_already_imported: 409,
  number_not_found: 404,
  custom_prompt_too_long: 400,
  invalid_template: 400,
  model_not_allowed: 400,
  // sms
  number_not_attached_to_agent: 400,
  message_empty: 400,
  message_too_long: 400,
  message_not_found: 404,
  invalid_send_at: 400,
  invalid_expires_at: 400,
  quiet_hours_unsupported_country: 400,
  sms_not_cancelable: 409,
  recipient_opted_out: 422,
  destination_not_allowed: 422,
  idempotency_key_reused: 422,
  idempotency_key_in_use: 409,
  invalid_cursor: 400,
  // campaigns
  campaign_not_found: 404,
  campaign_no_recipients: 422,
  campaign_not_pausable: 409,
  campaign_not_resumable: 409,
  campaign_not_cancelable: 409,
  invalid_csv: 400,
  too_many_recipients: 413,
  // calls
  prompt_too_long: 400,
  first_message_too_long: 400,
  metadata_too_large: 400,
  call_not_found: 404,
  // llm usage and budget
  invalid_date_range: 400,
  token_budget_exhausted: 429,
  // webhooks in / out
  invalid_signature: 403,
  webhook_url_not_allowed: 400,
  webhook_delivery_not_found: 404,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export function statusForCode(code: string): number {
  return (ERROR_STATUS as Record<string, number>)[code] ?? 500;
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && code in ERROR_STATUS;
}
