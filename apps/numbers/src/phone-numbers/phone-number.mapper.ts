import type { PhoneNumberDto } from '@nixflex/common';
import { PhoneNumber } from './phone-number.entity';

/** The public form: sealed credentials stay behind. */
export function toPhoneNumberDto(n: PhoneNumber): PhoneNumberDto {
  return {
    id: n.id,
    phone_number: n.phoneNumber,
    agent_id: n.agentId,
    api_key_id: n.apiKeyId,
    twilio_account_sid: n.twilioAccountSid,
    twilio_number_sid: n.twilioNumberSid,
    custom_prompt: n.customPrompt,
    voice: n.voice,
    webhook_url: n.webhookUrl,
    calendar: n.calendarEventTypeId
      ? { event_type_id: n.calendarEventTypeId, time_zone: n.calendarTimeZone }
      : null,
    welcome_greeting: n.welcomeGreeting,
    post_call_sms_template: n.postCallSmsTemplate,
    sms_rate_per_second: n.smsRatePerSecond,
    created_at: n.createdAt.toISOString(),
    updated_at: n.updatedAt.toISOString(),
  };
}
