/**
 * Contracts of Twilio's webhooks into the engine: what apps/webhooks
 * publishes once a Twilio request passed its guard. (Webhooks the engine sends
 * out to customers are in customer-events.ts.)
 * A change to a payload is a new versioned key, never an edit.
 */
import { IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * A Twilio SMS status callback whose signature was verified, as Twilio sent
 * it (status not interpreted: messaging owns the status machine).
 */
export class SmsStatusReceivedEvent {
  @IsString()
  @MaxLength(64)
  message_sid: string;

  @IsString()
  @MaxLength(32)
  message_status: string;

  @IsOptional()
  @IsString()
  @MaxLength(16)
  error_code?: string | null;

  @IsString()
  @MaxLength(64)
  account_sid: string;

  @IsString()
  @MaxLength(32)
  from: string;

  @IsString()
  @MaxLength(32)
  to: string;

  /** When webhooks received it (ISO): the time the transition is recorded with. */
  @IsString()
  @MaxLength(40)
  received_at: string;
}

/** A Twilio inbound SMS whose signature was verified, for the number `to` (ours). */
export class SmsInboundReceivedEvent {
  @IsString()
  @MaxLength(64)
  message_sid: string;

  @IsString()
  @MaxLength(64)
  account_sid: string;

  @IsString()
  @MaxLength(32)
  from: string;

  @IsString()
  @MaxLength(32)
  to: string;

  @IsString()
  @MaxLength(20000)
  body: string;

  @IsString()
  @MaxLength(40)
  received_at: string;
}

export const TwilioWebhookCommands = {} as const;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TwilioWebhookCommandMap {}

export const TwilioWebhookEvents = {
  smsStatusReceived: 'sms.status-received.v1',
  smsInboundReceived: 'sms.inbound-received.v1',
} as const;

export interface TwilioWebhookEventMap {
  'sms.status-received.v1': SmsStatusReceivedEvent;
  'sms.inbound-received.v1': SmsInboundReceivedEvent;
}
