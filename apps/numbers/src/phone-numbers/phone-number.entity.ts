import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Twilio webhook settings of a number, as they were before import (for `?restore_webhooks=true`). */
export interface WebhookSet {
  voice_url: string;
  voice_method: string;
  sms_url: string;
  sms_method: string;
  status_callback: string;
  status_callback_method: string;
}

export type PhoneNumberStatus = 'pending' | 'active';

@Entity({ name: 'phone_numbers' })
@Index('phone_numbers_account_created_idx', ['accountId', 'createdAt', 'id'])
@Index('phone_numbers_agent_created_idx', ['agentId', 'createdAt', 'id'])
export class PhoneNumber {
  @PrimaryColumn('text')
  id: string;

  @Column('text', { name: 'phone_number', unique: true })
  phoneNumber: string;

  @Column('text', { name: 'account_id' })
  accountId: string;

  @Column('text', { name: 'api_key_id' })
  apiKeyId: string;

  @Column('text', { name: 'agent_id' })
  agentId: string;

  @Column('text', { default: 'pending' })
  status: PhoneNumberStatus;

  @Column('text', { name: 'twilio_account_sid' })
  twilioAccountSid: string;

  @Column('text', { name: 'twilio_number_sid' })
  twilioNumberSid: string;

  /** SecretBox, associated data = phone number. Never returned, never logged. */
  @Column('text', { name: 'twilio_auth_token_sealed' })
  twilioAuthTokenSealed: string;

  @Column('text', { name: 'custom_prompt', nullable: true })
  customPrompt: string | null;

  @Column('text', { nullable: true })
  voice: string | null;

  @Column('text', { name: 'webhook_url', nullable: true })
  webhookUrl: string | null;

  /** This number's greeting, instead of its agent's; null = the agent's. */
  @Column('text', { name: 'welcome_greeting', nullable: true })
  welcomeGreeting: string | null;

  /** This number's post-call SMS template, instead of its agent's; null = the agent's. */
  @Column('text', { name: 'post_call_sms_template', nullable: true })
  postCallSmsTemplate: string | null;

  /** SMS pace in segments per second; null = the default for the number's type. */
  @Column('double precision', { name: 'sms_rate_per_second', nullable: true })
  smsRatePerSecond: number | null;

  @Column('text', { name: 'calendar_event_type_id', nullable: true })
  calendarEventTypeId: string | null;

  /** SecretBox, associated data = phone number. */
  @Column('text', { name: 'calendar_api_key_sealed', nullable: true })
  calendarApiKeySealed: string | null;

  /** IANA time zone the agent speaks this calendar's times in. */
  @Column('text', { name: 'calendar_time_zone', default: 'Europe/London' })
  calendarTimeZone: string;

  @Column('jsonb', { name: 'previous_webhooks', nullable: true })
  previousWebhooks: WebhookSet | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt: Date;
}
